import KubeSandboxTesting
import Kubernetes
import Synchronization
import Testing

/// A ConfigMap in `namespace` with `labels` and one data entry.
func testConfigMap(
    _ name: String,
    namespace: String = "default",
    labels: [String: String] = [:],
    value: String = "v"
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
