import KubeSandboxTesting
import Kubernetes
import Logging

/// A sandbox with the velero.io CRDs and a client for it, for one test (KubeSandboxTesting's harness).
enum TestCluster {
    /// Logs nothing.
    static let logger = Logger.quiet

    /// Runs `body` with a fresh in-memory sandbox without nodes and a client, after creating the `velero`
    /// namespace; both are stopped afterwards.
    static func with(_ body: (KubeClient) async throws -> Void) async throws {
        try await withSandbox(nodes: 0) { _, client in
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero"))
            try await body(client)
        }
    }
}
