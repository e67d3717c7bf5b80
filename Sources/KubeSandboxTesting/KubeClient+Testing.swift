public import Kubernetes

extension KubeClient {
    private static let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")

    /// Creates namespace `name` and waits until the sandbox gave it its `default` ServiceAccount (it does
    /// so asynchronously, as a cluster does), so what a test does next sees a settled namespace.
    public func createNamespaceAndWait(_ name: String, labels: [String: String] = [:]) async throws {
        var namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: name)
        namespace.labels = labels
        _ = try await create(.namespaces, namespace)
        try await waitForDefaultServiceAccount(in: name)
    }

    /// Waits until namespace `namespace` has its `default` ServiceAccount.
    public func waitForDefaultServiceAccount(in namespace: String) async throws {
        try await waitUntil("the default ServiceAccount of namespace \(namespace)") {
            (try? await get(Self.serviceAccounts, namespace: namespace, name: "default")) != nil
        }
    }

    /// Returns once the sandbox's cluster controller has handled every change made before the call, and the
    /// changes that handling made (see ``settleSandboxControllers(createNamespace:hasDefaultServiceAccount:)``).
    public func settleSandboxControllers() async throws {
        try await KubeSandboxTesting.settleSandboxControllers(
            createNamespace: { name in
                _ = try await self.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: name))
            },
            hasDefaultServiceAccount: { name in
                (try? await self.get(Self.serviceAccounts, namespace: name, name: "default")) != nil
            }
        )
    }
}

/// Returns once a sandbox's cluster controller has handled every change made before the call, and the
/// changes that handling made (two rounds).
///
/// The controller handles the store's changes one at a time, in order. Each round creates a namespace and
/// waits for its `default` ServiceAccount, which the controller creates when it handles that namespace: by
/// then it has handled everything before it. This is how a test shows that something did not happen (a
/// claim stayed Pending, an object was not deleted) without sleeping and hoping. The namespaces stay.
///
/// - Parameters:
///   - createNamespace: creates a namespace of the given name (through a client or the API handler).
///   - hasDefaultServiceAccount: whether the named namespace has its `default` ServiceAccount yet.
public func settleSandboxControllers(
    createNamespace: (String) async throws -> Void,
    hasDefaultServiceAccount: (String) async throws -> Bool,
    isolation: isolated (any Actor)? = #isolation
) async throws {
    for _ in 0..<2 {
        let name = "settle-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await createNamespace(name)
        try await waitUntil("the sandbox's controllers to handle namespace \(name)") {
            try await hasDefaultServiceAccount(name)
        }
    }
}
