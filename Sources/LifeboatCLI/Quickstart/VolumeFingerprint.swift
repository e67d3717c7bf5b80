import Foundation
import Kubernetes

/// The files of the volumes a namespace's pods mount, as seen from inside the containers (through `pods/exec`, so
/// it reads the same on the sandbox and on a real cluster): for every regular file its size and the SHA-256 of its
/// content.
///
/// The quickstart takes one before the backup and checks the restored application against it: each file must be
/// back with the same first `size` bytes (the demo's writers keep appending to their logs, before the backup reads
/// them and again once the restored pods start, so a file may only have grown).
struct VolumeFingerprint: Sendable, Equatable {
    /// One file: `pod/container:mount path/relative path`.
    struct File: Sendable, Hashable {
        var pod: String
        var container: String
        var path: String
        var size: Int
        var sha256: String

        var label: String { "\(pod)/\(container):\(path)" }
    }

    var files: [File]

    /// The PVC-backed mounts of the running pods in `namespace`: (pod, container, mount path).
    static func mounts(client: KubeClient, namespace: String) async throws -> [(String, String, String)] {
        var mounts: [(String, String, String)] = []
        for try await pod in client.listObjects(.pods, namespace: namespace) {
            guard let name = pod.name, pod["status"]?["phase"]?.stringValue == "Running" else { continue }
            let claims = Set(
                (pod["spec"]?["volumes"]?.arrayValue ?? []).compactMap { volume -> String? in
                    volume["persistentVolumeClaim"] == nil ? nil : volume["name"]?.stringValue
                }
            )
            for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
                guard let containerName = container["name"]?.stringValue else { continue }
                for mount in container["volumeMounts"]?.arrayValue ?? [] {
                    guard let volume = mount["name"]?.stringValue, claims.contains(volume),
                        let path = mount["mountPath"]?.stringValue
                    else { continue }
                    mounts.append((name, containerName, path))
                }
            }
        }
        return mounts.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
    }

    /// Reads every regular file under the PVC mounts of the running pods in `namespace`.
    static func take(client: KubeClient, namespace: String) async throws -> VolumeFingerprint {
        var files: [File] = []
        for (pod, container, mountPath) in try await mounts(client: client, namespace: namespace) {
            let script =
                "cd \(shellQuoted(mountPath)) && find . -type f | LC_ALL=C sort | while IFS= read -r f; do "
                + "s=$(stat -c %s \"$f\"); "
                + "printf '%s %s %s\\n' \"$s\" \"$(head -c \"$s\" \"$f\" | sha256sum | cut -d' ' -f1)\" \"$f\"; done"
            let result = try await client.exec(
                namespace: namespace,
                pod: pod,
                container: container,
                command: ["sh", "-c", script]
            )
            guard result.exitCode == 0 else {
                throw CLIError(
                    "quickstart: listing \(mountPath) in pod \(namespace)/\(pod) failed (exit \(result.exitCode)): "
                        + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
                )
            }
            for line in result.stdoutText.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 2)
                guard parts.count == 3, let size = Int(parts[0]) else { continue }
                let relative = String(parts[2].dropFirst(2))
                files.append(
                    File(
                        pod: pod,
                        container: container,
                        path: mountPath + "/" + relative,
                        size: size,
                        sha256: String(parts[1])
                    )
                )
            }
        }
        return VolumeFingerprint(files: files)
    }

    /// The files of `self` that are not back in the running pods of `namespace` with the same first `size` bytes,
    /// each with the reason.
    func missing(client: KubeClient, namespace: String) async throws -> [String] {
        var problems: [String] = []
        let byContainer = Dictionary(grouping: files) { "\($0.pod)\u{0}\($0.container)" }
        for (_, group) in byContainer.sorted(by: { $0.key < $1.key }) {
            guard let first = group.first else { continue }
            let checks = group.map { file in
                "if [ -f \(shellQuoted(file.path)) ]; then printf '%s\\n' \"$(head -c \(file.size) "
                    + "\(shellQuoted(file.path)) | sha256sum | cut -d' ' -f1)\"; else echo missing; fi"
            }
            let result: PodExecResult
            do {
                result = try await client.exec(
                    namespace: namespace,
                    pod: first.pod,
                    container: first.container,
                    command: ["sh", "-c", checks.joined(separator: "; ")]
                )
            } catch {
                problems.append("\(first.pod)/\(first.container): cannot read its volumes: \(error)")
                continue
            }
            let answers = result.stdoutText.split(separator: "\n").map(String.init)
            for (index, file) in group.enumerated() {
                let answer = index < answers.count ? answers[index] : "unreadable"
                if answer == "missing" {
                    problems.append("\(file.label) is missing")
                } else if answer != file.sha256 {
                    problems.append("\(file.label) differs from the backed-up content (\(file.size) bytes)")
                }
            }
        }
        return problems
    }

    /// `text` quoted for `sh`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private func shellQuoted(_ text: String) -> String { Self.shellQuoted(text) }
}
