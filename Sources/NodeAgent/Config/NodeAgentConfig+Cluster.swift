package import Kubernetes

extension NodeAgentConfig {
    /// Reads the node-agent configuration once at start, like Velero's node-agent server.
    ///
    /// - Parameters:
    ///   - client: the API client.
    ///   - namespace: the install namespace.
    ///   - configMapName: `--node-agent-configmap`; when nil, a ConfigMap named ``legacyConfigMapName`` is
    ///     used if it exists (else there is no configuration and every default applies).
    /// - Returns: the configuration and its load warnings, or nil when no ConfigMap applies.
    /// - Throws: ``NodeAgentError`` — `error getting node agent configs from configMap NAME: …` — when the
    ///   named ConfigMap cannot be read or is malformed (the node agent must not start).
    package static func load(
        client: KubeClient,
        namespace: String,
        configMapName: String?
    ) async throws -> (config: NodeAgentConfig, warnings: [String])? {
        let name = configMapName ?? legacyConfigMapName
        let object: KubeObject
        do {
            object = try await client.get(.configMaps, namespace: namespace, name: name)
        } catch let e as KubeError where e.code == .notFound && configMapName == nil {
            return nil
        } catch let e as KubeError {
            throw NodeAgentError(
                code: e.code == .notFound ? .configNotFound : .invalidConfig,
                message:
                    "error getting node agent configs from configMap \(name): error to get node agent configs \(name)",
                cause: e
            )
        }
        do {
            return try load(configMap: object.value, name: name)
        } catch let e as NodeAgentError {
            throw NodeAgentError(
                code: e.code,
                message: "error getting node agent configs from configMap \(name): \(e.message)"
            )
        }
    }
}
