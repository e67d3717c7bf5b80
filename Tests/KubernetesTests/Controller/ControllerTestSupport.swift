import KubeSandbox
import Kubernetes
import Synchronization
import Testing

/// A sandbox and a client with fast retries, for the controller runtime's tests.
func withSandboxClient(
    _ sandboxConfig: SandboxConfiguration = SandboxConfiguration(),
    _ body: (Sandbox, KubeClient) async throws -> Void
) async throws {
    try await withSandbox(sandboxConfig) { sandbox in
        let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
        try await withKubeClient(
            config: config, configuration: KubeClientIntegrationTests.fast, logger: quietLogger
        ) { client in
            try await body(sandbox, client)
        }
    }
}

/// Waits until `condition` holds, checking every 20 ms; records an issue and returns false after `timeout`.
@discardableResult
func waitUntil(
    _ what: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    return false
}

/// A ConfigMap in `namespace` with `labels` and one data entry.
func testConfigMap(
    _ name: String, namespace: String = "default", labels: [String: String] = [:], value: String = "v"
) -> KubeObject {
    var object = KubeClientIntegrationTests.configMap(name, namespace: namespace, data: ["k": value])
    for (key, label) in labels { object.labels[key] = label }
    return object
}

/// A value several tasks read and change.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    var get: Value { value.withLock { $0 } }
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}
