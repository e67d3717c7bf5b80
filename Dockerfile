# The image `lifeboat install` names (ghcr.io/lifeboat/lifeboat:v<version>): the `lifeboat` binary as
# /lifeboat, the entrypoint of the server Deployment, the node-agent DaemonSet, the pods that move volume data
# and the restore-wait init container. /velero points at it, so manifests written for Velero's image run too.
#
#   docker build -t ghcr.io/lifeboat/lifeboat:v0.1.0 .
#
# The build is the README's release build (`swift build -c release --product lifeboat`) with the Swift runtime
# linked in statically; the runtime stage holds only what the binary loads (zstd, zlib, libstdc++) and CA
# certificates. It is not built by `make test`: the development machines have no container engine.

FROM swift:6.3-bookworm AS build
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libzstd-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product lifeboat --static-swift-stdlib \
    && install -m 0755 "$(swift build -c release --show-bin-path)/lifeboat" /lifeboat

FROM debian:bookworm-slim
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libzstd1 zlib1g libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /lifeboat /lifeboat
RUN ln -s /lifeboat /velero
USER 65532:65532
ENTRYPOINT ["/lifeboat"]
