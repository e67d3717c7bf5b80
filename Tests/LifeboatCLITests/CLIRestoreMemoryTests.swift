import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// A restore keeps the backup's items on disk, not in memory (issue 24): restoring a backup of 160 MB of
/// ConfigMaps runs in less memory than the items take, which reading them all into memory cannot.
@Suite(.timeLimit(.minutes(5)))
struct CLIRestoreMemoryTests {
    static let configMapCount = 2000
    /// Bytes of data per ConfigMap (with the names, ~160 MB in all).
    static let dataBytes = 80 * 1024
    /// The restore's peak RSS must stay under this; the items alone take more (it was 120 MiB with the items on
    /// disk but gzip's output fed to the tar reader whole; holding the items in memory adds all 160 MB).
    static let ceilingKiB = 128 * 1024

    @Test func aRestoreOfMoreItemsThanItsMemoryCeilingRunsWithinIt() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.createDefaultLocation()
            try await cli.client.createNamespaceAndWait("big")
            try await Self.createConfigMaps(cli.client)
            let backup = try await cli.lifeboat("backup", "create", "big", "--include-namespaces", "big")
            try #require(backup.status == 0, "backup create: \(backup.output)")

            // Restored into another namespace, for real: every item is read back, transformed and created.
            let restore = try await Self.measured(
                cli,
                // A fixed width: memory grows with the items in flight, which adaptive writers would vary with load.
                [
                    "restore", "create", "big-copy", "--from-backup", "big", "--namespace-mappings", "big:big-copy",
                    "--parallelism", "16", "--client-qps", "0",
                ]
            )
            #expect(restore.result.status == 0, "\(restore.result.output)")
            let restored = try await cli.client.list(.configMaps, namespace: "big-copy").items
            #expect(restored.filter { $0.name?.hasPrefix("cm-") == true }.count == Self.configMapCount)
            let totalKiB = Self.configMapCount * Self.dataBytes / 1024
            #expect(
                restore.maxRSSKiB < Self.ceilingKiB,
                "peak RSS \(restore.maxRSSKiB) KiB for \(totalKiB) KiB of items (ceiling \(Self.ceilingKiB) KiB)"
            )
            #expect(totalKiB > Self.ceilingKiB)
        }
    }

    /// `count` ConfigMaps `cm-N` in namespace `big`, each with `dataBytes` of distinct text.
    static func createConfigMaps(_ client: KubeClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: configMapCount, by: 8) {
                        var configMap = KubeObject(
                            apiVersion: "v1",
                            kind: "ConfigMap",
                            namespace: "big",
                            name: "cm-\(index)"
                        )
                        let line = String(repeating: "\(index)-", count: 16)
                        configMap["data"] = ["blob": .string(String(repeating: line, count: dataBytes / line.count))]
                        _ = try await client.create(.configMaps, configMap)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Runs `lifeboat arguments` under GNU time; its result and peak RSS.
    static func measured(
        _ cli: CLIEnvironment,
        _ arguments: [String]
    ) async throws -> (result: ChildProcess.Result, maxRSSKiB: Int) {
        let output = cli.directory.appendingPathComponent("time-\(UUID().uuidString)").path
        let result = try await ChildProcess.run(
            "/usr/bin/time",
            ["-o", output, "-f", "%M", cli.binary] + arguments,
            environment: [
                "KUBECONFIG": cli.directory.appendingPathComponent("kubeconfig").path,
                "HOME": cli.directory.path,
                "PATH": "/usr/bin:/bin",
            ],
            inheritEnvironment: false,
            timeout: .seconds(240)
        )
        let text = try String(contentsOfFile: output, encoding: .utf8)
        let rss = try #require(text.split(separator: "\n").last.flatMap { Int($0) }, "GNU time wrote \(text)")
        return (result, rss)
    }
}
