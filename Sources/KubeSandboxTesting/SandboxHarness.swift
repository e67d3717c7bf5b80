public import Foundation
public import KubeSandbox
public import Kubernetes
public import Logging

/// Starts a sandbox (127.0.0.1, a free port) and a client for it, runs `body`, and stops both, also when
/// `body` throws.
///
/// ```swift
/// try await withSandbox(nodes: 2) { sandbox, client in
///     _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "app"))
/// }
/// ```
///
/// - Parameters:
///   - nodes: how many nodes the sandbox has.
///   - seed: the objects it starts with (default: none).
///   - dataDirectory: where it persists its state (default: in memory).
///   - customResources: the CRDs it starts with (default: the velero.io and CSI snapshot kinds).
///   - client: the client's settings (default: ``KubeClient/Configuration/test``).
///   - logger: the client's logger (default: ``Logging/Logger/quiet``).
///   - body: the test, with the sandbox and the client.
public func withSandbox<T: Sendable>(
    nodes: Int = 1,
    seed: SandboxConfiguration.Seed? = nil,
    dataDirectory: URL? = nil,
    customResources: [SandboxConfiguration.CustomResource] = .velero,
    client: KubeClient.Configuration = .test,
    logger: Logger = .quiet,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Sandbox, KubeClient) async throws -> T
) async throws -> T {
    let configuration = SandboxConfiguration(
        port: 0,
        dataDirectory: dataDirectory,
        nodes: nodes,
        seed: seed,
        customResources: customResources,
        imageCommands: SandboxConfiguration.testImageCommands
    )
    return try await withSandbox(
        configuration: configuration,
        client: client,
        logger: logger,
        isolation: isolation,
        body
    )
}

/// ``withSandbox(nodes:seed:dataDirectory:customResources:client:logger:isolation:_:)`` for a sandbox configured in full
/// (its port should stay 0: every test binds its own free port).
public func withSandbox<T: Sendable>(
    configuration: SandboxConfiguration,
    client: KubeClient.Configuration = .test,
    logger: Logger = .quiet,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Sandbox, KubeClient) async throws -> T
) async throws -> T {
    try await withSandbox(configuration) { sandbox in
        let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
        return try await withKubeClient(config: config, configuration: client, logger: logger) { kube in
            try await body(sandbox, kube)
        }
    }
}

extension KubeClient.Configuration {
    /// A client for tests: no client-side rate limit, a generous request timeout (the whole suite shares two
    /// cores), short retries.
    public static var test: KubeClient.Configuration {
        KubeClient.Configuration(
            qps: 0,
            maxConnections: 16,
            requestTimeout: .seconds(20),
            initialBackoff: .milliseconds(10),
            maxBackoff: .milliseconds(200)
        )
    }
}
