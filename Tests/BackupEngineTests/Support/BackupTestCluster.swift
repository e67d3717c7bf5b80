import Foundation
import KubeSandbox
import Kubernetes
import Logging
import ObjectStorage
import Testing

@testable import BackupEngine
import VeleroAPI

/// A failure of a test helper (a precondition of the test that did not hold).
struct BackupTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Starting a sandbox and a client for one test, and waiting for the sandbox's controllers.
enum BackupTestCluster {
    /// Logs nothing (the runner logs at info).
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// No client-side rate limit, short retries.
    static let clientConfiguration = KubeClient.Configuration(
        qps: 0, requestTimeout: .seconds(20), initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(200))

    /// Runs `body` with a fresh sandbox (no seed, one node) and a client for it; both are stopped afterwards.
    static func with(_ body: (Sandbox, KubeClient) async throws -> Void) async throws {
        let configuration = SandboxConfiguration(port: 0, nodes: 1, seed: nil, customResources: .velero)
        try await withSandbox(configuration) { sandbox in
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            try await withKubeClient(config: config, configuration: clientConfiguration, logger: logger) { client in
                try await body(sandbox, client)
            }
        }
    }

    /// Polls `condition` every 20 ms until it holds, for at most `timeout` (generous: the whole suite runs in
    /// parallel on two cores, and a sandbox controller can wait many seconds for its turn).
    static func waitUntil(
        _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BackupTestError("timed out after \(timeout) waiting for \(what)")
    }

    /// A KubeObject from a JSON literal.
    static func object(_ value: JSONValue) throws -> KubeObject {
        guard let object = KubeObject(value) else { throw BackupTestError("not a JSON object: \(value.jsonString)") }
        return object
    }

    /// Creates a namespace and waits for its default ServiceAccount (created asynchronously by the
    /// sandbox), so later backups see a settled namespace.
    static func createNamespace(_ client: KubeClient, _ name: String, labels: [String: String] = [:]) async throws {
        var namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: name)
        namespace.labels = labels
        _ = try await client.create(.namespaces, namespace)
        let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")
        try await waitUntil("default ServiceAccount in \(name)") {
            (try? await client.get(serviceAccounts, namespace: name, name: "default")) != nil
        }
    }
}

/// Backups against a sandbox, read back as a list of tarball entries.
extension BackupTestCluster {
    /// Runs one backup into `store` and returns the result and the archive read back from the store.
    static func backUp(
        _ client: KubeClient, spec: BackupSpec, name: String = "b-\(UUID().uuidString.prefix(8).lowercased())",
        store: BackupStore = BackupStore(store: MemoryObjectStore(), prefix: nil),
        configuration: BackupRunner.Configuration = BackupRunner.Configuration(recordInCluster: false)
    ) async throws -> (backup: Backup, archive: BackupArchive) {
        let runner = BackupRunner(client: client, store: store, configuration: configuration, logger: logger)
        let result = try await runner.run(Backup(metadata: ObjectMeta(name: name), spec: spec))
        return (result, try await BackupArchive.read(from: store, backup: name))
    }
}
