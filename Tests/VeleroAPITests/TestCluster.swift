import Foundation
import KubeSandbox
import Kubernetes
import Logging

/// A sandbox with the velero.io CRDs and a client for it, for one test.
enum TestCluster {
    /// Logs nothing.
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with a fresh in-memory sandbox and a client; both are stopped afterwards.
    static func with(_ body: (KubeClient) async throws -> Void) async throws {
        let configuration = SandboxConfiguration(port: 0, nodes: 0, customResources: .velero)
        try await withSandbox(configuration) { sandbox in
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            let clientConfiguration = KubeClient.Configuration(qps: 0)
            try await withKubeClient(config: config, configuration: clientConfiguration, logger: logger) { client in
                let namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero")
                _ = try await client.create(.namespaces, namespace)
                try await body(client)
            }
        }
    }
}
