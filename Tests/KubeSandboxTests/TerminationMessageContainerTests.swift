import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// Running containers write their termination messages, and `hostPath` volumes in shared host folders are the
/// host's own folders.
@Suite(.enabled(if: containersRun, "needs bubblewrap and mount namespaces"))
struct TerminationMessageContainerTests {
    /// Creates pod `name` in namespace `k` with one container running `script` under `/bin/sh -c`, waits until
    /// it is `phase`, and returns its container's `state.terminated`.
    func run(
        _ api: TestAPI,
        _ name: String,
        script: String,
        container extra: JSONObject = [:],
        volumes: [JSONValue] = [],
        node: String = "sandbox-node-1",
        phase: String
    ) async throws -> JSONValue? {
        var container: JSONObject = [
            "name": "main", "image": "busybox", "command": ["/bin/sh", "-c", .string(script)],
        ]
        for (key, value) in extra { container[key] = value }
        try await api.create(
            "/api/v1/namespaces/k/pods",
            [
                "metadata": ["name": .string(name)],
                "spec": [
                    "restartPolicy": "Never", "containers": [.object(container)], "volumes": .array(volumes),
                    "nodeName": .string(node),
                ],
            ]
        )
        var pod: JSONValue = .null
        try await waitUntil("pod \(name) \(phase)") {
            pod = await api.request("GET", "/api/v1/namespaces/k/pods/\(name)").json
            return pod["status"]?["phase"]?.stringValue == phase
        }
        return pod["status"]?["containerStatuses"]?[0]?["state"]?["terminated"]
    }

    @Test func aContainerReportsItsOutcomeThroughItsTerminationLog() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("k")
            let succeeded = try await run(
                api,
                "ok",
                script: #"printf '{"snapshotID":"abc"}' > /dev/termination-log"#,
                phase: "Succeeded"
            )
            #expect(succeeded?["message"] == #"{"snapshotID":"abc"}"#)
            let failed = try await run(
                api,
                "failed",
                script: "printf 'it broke' > /dev/termination-log; exit 3",
                phase: "Failed"
            )
            #expect(failed?["message"] == "it broke")
            #expect(failed?["exitCode"] == 3)
            let custom = try await run(
                api,
                "custom",
                script: "printf 'elsewhere' > /tmp/outcome",
                container: ["terminationMessagePath": "/tmp/outcome"],
                phase: "Succeeded"
            )
            #expect(custom?["message"] == "elsewhere")
        }
    }

    @Test func aFailedContainerWithAnEmptyFileGetsTheEndOfItsLogWhenItFallsBackToLogs() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("k")
            let fallback = try await run(
                api,
                "fallback",
                script: "echo starting; echo 'cannot open the repository' >&2; exit 1",
                container: ["terminationMessagePolicy": "FallbackToLogsOnError"],
                phase: "Failed"
            )
            #expect(fallback?["message"] == "starting\ncannot open the repository\n")
            let plain = try await run(api, "plain", script: "echo nothing to see; exit 1", phase: "Failed")
            #expect(plain?["message"] == nil)
        }
    }

    @Test func aHostPathInASharedFolderIsTheHostFolderOnEveryNode() async throws {
        try await withTemporaryDirectory(prefix: "shared-host-path") { shared in
            let folder = shared.resolvingSymlinksInPath().path
            var configuration = SandboxConfiguration(
                port: 0,
                nodes: 2,
                customResources: .velero,
                imageCommands: SandboxConfiguration.testImageCommands
            )
            configuration.sharedHostPaths = [folder]
            try await withSandbox(configuration) { sandbox in
                let api = TestAPI(sandbox: sandbox)
                try await api.namespace("k")
                let volume: JSONValue = ["name": "bucket", "hostPath": ["path": .string(folder + "/bucket")]]
                let mount: JSONValue = ["name": "bucket", "mountPath": "/bucket"]
                for (index, node) in ["sandbox-node-1", "sandbox-node-2"].enumerated() {
                    _ = try await run(
                        api,
                        "writer-\(index)",
                        script: "echo \(node) > /bucket/\(node)",
                        container: ["volumeMounts": [mount]],
                        volumes: [volume],
                        node: node,
                        phase: "Succeeded"
                    )
                }
                let written = try FileManager.default.contentsOfDirectory(atPath: folder + "/bucket").sorted()
                #expect(written.count == 2, "\(written)")
            }
        }
    }
}
