#!/usr/bin/env bash
# Installs, when missing, every system package the test suite needs. Idempotent.
#   restic            — the real peer for VolumeRepository interop tests
#   libzstd-dev       — zstd for restic-format v2 compression (CZstd)
#   zlib1g-dev        — gzip for Velero tarballs
#   pkg-config        — lets SwiftPM find libzstd
#   moto[server]      — a real S3 HTTP server on loopback (moto_server)
#   gcp-storage-emulator — a Google Cloud Storage JSON-API emulator on loopback
#   kubectl           — the real client, driven against the sandbox
#   bubblewrap        — bwrap: the sandbox's containers run in their own mount and PID namespaces
#   setpriv           — (util-linux) runAsUser when the sandbox runs as root
#   time              — GNU time: a restore test reads the CLI's peak RSS from it
set -euo pipefail

need_apt=()
command -v restic >/dev/null 2>&1 || need_apt+=(restic)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
[ -f /usr/include/zstd.h ] || need_apt+=(libzstd-dev)
[ -f /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubernetes-client)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
command -v setpriv >/dev/null 2>&1 || need_apt+=(util-linux)
[ -x /usr/bin/time ] || need_apt+=(time)

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

if [ ${#need_apt[@]} -gt 0 ]; then
    echo "install-test-deps: apt-get install ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v moto_server >/dev/null 2>&1; then
    echo "install-test-deps: pip install moto[server]"
    python3 -m pip install --quiet 'moto[server]' || python3 -m pip install --quiet --break-system-packages 'moto[server]'
    hash -r
fi
# moto_server needs its server extras (flask, flask-cors); check they import.
if ! python3 -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
    python3 -m pip install --quiet 'moto[server]' || python3 -m pip install --quiet --break-system-packages 'moto[server]'
fi

if ! command -v gcp-storage-emulator >/dev/null 2>&1; then
    echo "install-test-deps: pip install gcp-storage-emulator"
    python3 -m pip install --quiet gcp-storage-emulator || python3 -m pip install --quiet --break-system-packages gcp-storage-emulator
    hash -r
fi

for tool in restic kubectl moto_server gcp-storage-emulator pkg-config bwrap setpriv /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "install-test-deps: $tool is still missing" >&2; exit 1; }
done
echo "install-test-deps: restic $(restic version | awk '{print $2}'), kubectl present, moto_server and gcp-storage-emulator present, $(bwrap --version)"
