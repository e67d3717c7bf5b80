import Foundation
import KubeSandboxTesting
import Kubernetes
import LocalServers
import Logging
import ProcessTesting
import Testing

/// An object store that answers badly now and then (issue 23): `backup create` retries what can recover (503,
/// 500, a reset, a slow answer) and says so on its progress line — on stderr as `progress: retrying …` lines when
/// stderr is not a terminal — and the backup still completes.
@Suite(.timeLimit(.minutes(5)))
struct CLIRetryLineTests {
    @Test func retriesOfAnUnsteadyStoreShowOnTheProgressLineAndTheBackupCompletes() async throws {
        let moto = try await MotoServer.shared()
        _ = try await moto.makeStore(
            bucket: "retry-line",
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let proxy = try await FaultInjectingProxy.start(upstreamPort: moto.port)
        do {
            try await CLIEnvironment.with { cli in
                let credentials = cli.directory.appendingPathComponent(".aws/credentials")
                try FileManager.default.createDirectory(
                    at: credentials.deletingLastPathComponent(),
                    withIntermediateDirectories: true
                )
                try Data(
                    "[default]\naws_access_key_id = \(MotoServer.accessKeyID)\naws_secret_access_key = \(MotoServer.secretAccessKey)\n"
                        .utf8
                ).write(to: credentials)
                let location = try await cli.lifeboat(
                    "backup-location",
                    "create",
                    "s3",
                    "--provider",
                    "aws",
                    "--bucket",
                    "retry-line",
                    "--default",
                    "--config",
                    "region=us-east-1,s3Url=\(proxy.endpoint),s3ForcePathStyle=true"
                )
                try #require(location.status == 0, "\(location.output)")
                try await cli.client.createNamespaceAndWait("app")
                var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "settings")
                configMap["data"] = ["color": "blue"]
                _ = try await cli.client.create(.configMaps, configMap)

                let before = proxy.injectedFaults
                proxy.plan([.slowDown, .internalError, .drop])
                let backup = try await cli.lifeboat("backup", "create", "b1", "--include-namespaces", "app")
                #expect(backup.status == 0, "\(backup.output)")
                #expect(proxy.injectedFaults - before == 3, "every planned fault was met")
                let retries = backup.stderr.split(separator: "\n").filter { $0.hasPrefix("progress: retrying ") }
                #expect(retries.count >= 3, "one progress line per retry:\n\(backup.stderr)")
                #expect(retries.contains { $0.contains("SlowDown") || $0.contains("503") }, "\(backup.stderr)")
                let described = try await cli.lifeboat("backup", "get", "b1", "-o", "json")
                #expect(described.json["status"]?["phase"] == "Completed", "\(described.output)")
            }
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
    }
}
