import Foundation
import Kubernetes

extension QuickstartSteps {
    /// Reads the demo's volume data once a running pod mounts each of its PersistentVolumeClaims and every such
    /// volume has data (its writer wrote), waiting up to 60 s; prints one line per volume and file.
    /// - Throws: `CLIError` naming the claims no running pod mounts, or the volume that cannot be read.
    func readVolumes(client: KubeClient) async throws -> VolumeFingerprint {
        let claims = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
        let wanted = Set(try await client.list(claims, namespace: "demo").items.compactMap(\.name))
        let deadline = ContinuousClock.now + .seconds(60)
        var fingerprint = try await VolumeFingerprint.take(client: client, namespace: "demo")
        func unready() -> [String] {
            let read = Dictionary(fingerprint.volumes.map { ($0.claim, $0.bytes) }) { first, _ in first }
            return wanted.filter { (read[$0] ?? 0) == 0 }.sorted()
        }
        while !unready().isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            fingerprint = try await VolumeFingerprint.take(client: client, namespace: "demo")
        }
        let mounted = Set(fingerprint.volumes.map(\.claim))
        let unmounted = wanted.subtracting(mounted).sorted()
        guard unmounted.isEmpty, !fingerprint.volumes.isEmpty else {
            throw CLIError(
                "quickstart: no running pod of namespace demo mounts claim \(unmounted.joined(separator: ", ")) "
                    + "after 60 s: its data cannot be read before the backup"
            )
        }
        for volume in fingerprint.volumes {
            print(
                "    \(volume.claim) (pod \(volume.pod), volume \(volume.volume) at \(volume.mountPath)): "
                    + "\(volume.files.count) file\(volume.files.count == 1 ? "" : "s"), "
                    + PodVolumeProgressLine.bytes(Int64(volume.bytes))
            )
            for file in volume.files {
                print("      \(file.sha256.prefix(16))…  \(file.size) B  \(file.path)")
            }
        }
        return fingerprint
    }

    /// Waits (up to `wait`) until a running pod mounts every claim of `expected` again, reads the volumes and
    /// compares them with `expected`; prints one line per volume and one per problem.
    func verifyVolumes(
        client: KubeClient,
        expected: VolumeFingerprint,
        wait: Duration
    ) async throws -> [VolumeComparison] {
        let claims = Set(expected.volumes.map(\.claim))
        let deadline = ContinuousClock.now + wait
        while true {
            let mounted = Set(try await VolumeFingerprint.mounts(client: client, namespace: "demo").map(\.claim))
            if claims.isSubset(of: mounted) { break }
            guard ContinuousClock.now < deadline else {
                print("    ✗ no running pod mounts \(claims.subtracting(mounted).sorted().joined(separator: ", "))")
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let found = try await VolumeFingerprint.take(client: client, namespace: "demo", expected: expected)
        let comparisons = VolumeComparison.compare(expected: expected, found: found, namespace: "demo")
        for comparison in comparisons {
            print("    \(comparison.isIdentical ? "✓" : "✗") \(comparison.line)")
            for problem in comparison.problems { print("      ✗ \(problem)") }
        }
        return comparisons
    }
}
