import Foundation
import Kubernetes

/// The data in the PersistentVolumeClaim-backed volumes of a namespace's running pods, read from inside the
/// containers through `pods/exec` (so it reads the same on the sandbox and on a real cluster): per claim, every
/// regular file's size and the SHA-256 of its content.
///
/// The quickstart takes one before the backup (``take(client:namespace:)``) and one of the restored application
/// (``take(client:namespace:expected:)``, which hashes only the first backed-up `size` bytes of each file), then
/// ``compare(expected:found:)`` says, per claim, what is identical and what is missing or differs. The demo's writers
/// keep appending to their logs, before the backup reads them and again once the restored pods start, so a file
/// may have grown but its backed-up bytes must be back unchanged.
struct VolumeFingerprint: Sendable, Equatable {
    /// One regular file of a volume.
    struct File: Sendable, Hashable {
        /// The path relative to the mount (`html/index.html`).
        var path: String
        /// Its size in bytes when read.
        var size: Int
        /// The SHA-256 (hex) of its content; of its first `size` bytes of the expected file when read back.
        var sha256: String
    }

    /// A claim-backed volume of a running pod, as one of its containers mounts it.
    struct Volume: Sendable, Hashable {
        /// The PersistentVolumeClaim.
        var claim: String
        var pod: String
        /// The pod's name for the volume (`spec.volumes[].name`).
        var volume: String
        var container: String
        var mountPath: String
        /// Sorted by path.
        var files: [File]

        /// The bytes of all its files.
        var bytes: Int { files.reduce(0) { $0 + $1.size } }

        /// `pod demo/web-1 volume data (claim web-data)`.
        func label(namespace: String) -> String { "pod \(namespace)/\(pod) volume \(volume) (claim \(claim))" }
    }

    /// Sorted by claim; one entry per claim.
    var volumes: [Volume]

    /// The files below these paths are not the application's: the restore helper's marker folder.
    static let ignoredFolder = ".velero"

    // MARK: - Reading

    /// The claim-backed mounts of the running pods in `namespace`, one per claim (the first pod and container by
    /// name that mounts it), without files.
    static func mounts(client: KubeClient, namespace: String) async throws -> [Volume] {
        var byClaim: [String: Volume] = [:]
        for try await pod in client.listObjects(.pods, namespace: namespace) {
            guard let name = pod.name, pod["status"]?["phase"]?.stringValue == "Running", pod.deletionTimestamp == nil
            else { continue }
            var claims: [String: String] = [:]
            for volume in pod["spec"]?["volumes"]?.arrayValue ?? [] {
                guard let volumeName = volume["name"]?.stringValue,
                    let claim = volume["persistentVolumeClaim"]?["claimName"]?.stringValue
                else { continue }
                claims[volumeName] = claim
            }
            for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
                guard let containerName = container["name"]?.stringValue else { continue }
                for mount in container["volumeMounts"]?.arrayValue ?? [] {
                    guard let volumeName = mount["name"]?.stringValue, let claim = claims[volumeName],
                        let path = mount["mountPath"]?.stringValue
                    else { continue }
                    let candidate = Volume(
                        claim: claim,
                        pod: name,
                        volume: volumeName,
                        container: containerName,
                        mountPath: path,
                        files: []
                    )
                    if let current = byClaim[claim],
                        (current.pod, current.container) <= (candidate.pod, candidate.container)
                    {
                        continue
                    }
                    byClaim[claim] = candidate
                }
            }
        }
        return byClaim.values.sorted { $0.claim < $1.claim }
    }

    /// Reads every regular file of the claim-backed volumes of the running pods in `namespace`.
    /// - Throws: `CLIError` naming the pod and volume when a listing fails.
    static func take(client: KubeClient, namespace: String) async throws -> VolumeFingerprint {
        var volumes: [Volume] = []
        for var volume in try await mounts(client: client, namespace: namespace) {
            volume.files = try await read(volume, client: client, namespace: namespace, prefixes: [:])
            volumes.append(volume)
        }
        return VolumeFingerprint(volumes: volumes)
    }

    /// Reads the volumes of the claims of `expected` in the running pods of `namespace`: every file's size, and the
    /// SHA-256 of the first bytes of each expected file (as many as it had; the whole file for others). A claim
    /// that no running pod mounts is absent from the result.
    /// - Throws: `CLIError` naming the pod and volume when a listing fails.
    static func take(
        client: KubeClient,
        namespace: String,
        expected: VolumeFingerprint
    ) async throws -> VolumeFingerprint {
        let wanted = Dictionary(expected.volumes.map { ($0.claim, $0) }) { first, _ in first }
        var volumes: [Volume] = []
        for var volume in try await mounts(client: client, namespace: namespace) {
            guard let before = wanted[volume.claim] else { continue }
            let prefixes = Dictionary(before.files.map { ($0.path, $0.size) }) { first, _ in first }
            volume.files = try await read(volume, client: client, namespace: namespace, prefixes: prefixes)
            volumes.append(volume)
        }
        return VolumeFingerprint(volumes: volumes)
    }

    /// The files of `volume`, each hashed over its first `prefixes[path]` bytes (whole when absent).
    private static func read(
        _ volume: Volume,
        client: KubeClient,
        namespace: String,
        prefixes: [String: Int]
    ) async throws -> [File] {
        let result: PodExecResult
        do {
            result = try await client.exec(
                namespace: namespace,
                pod: volume.pod,
                container: volume.container,
                command: ["sh", "-c", script(mountPath: volume.mountPath, prefixes: prefixes)]
            )
        } catch {
            throw CLIError("quickstart: cannot read \(volume.label(namespace: namespace)) through exec: \(error)")
        }
        guard result.exitCode == 0 else {
            throw CLIError(
                "quickstart: listing \(volume.mountPath) of \(volume.label(namespace: namespace)) failed (exit "
                    + "\(result.exitCode)): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return parse(result.stdoutText)
    }

    /// The shell script that prints `<size> <sha256> ./<path>` for every regular file under `mountPath` (sorted,
    /// the restore helper's folder left out), hashing the first `prefixes[path]` bytes of the files it names.
    static func script(mountPath: String, prefixes: [String: Int]) -> String {
        var lines = [
            "cd \(shellQuoted(mountPath)) || exit 1",
            "find . -type f ! -path './\(ignoredFolder)/*' | LC_ALL=C sort | while IFS= read -r f; do",
            "  s=$(stat -c %s \"$f\") || exit 1",
            "  n=$s",
        ]
        if !prefixes.isEmpty {
            lines.append("  case \"$f\" in")
            for (path, size) in prefixes.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(shellQuoted("./" + path))) n=\(size) ;;")
            }
            lines.append("  esac")
        }
        lines.append("  printf '%s %s %s\\n' \"$s\" \"$(head -c \"$n\" \"$f\" | sha256sum | cut -d' ' -f1)\" \"$f\"")
        lines.append("done")
        return lines.joined(separator: "\n")
    }

    /// The files of the script's output, sorted by path.
    static func parse(_ output: String) -> [File] {
        output.split(separator: "\n").compactMap { line -> File? in
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let size = Int(parts[0]), parts[2].hasPrefix("./") else { return nil }
            return File(path: String(parts[2].dropFirst(2)), size: size, sha256: String(parts[1]))
        }
        .sorted { $0.path < $1.path }
    }

    /// `text` quoted for `sh`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
