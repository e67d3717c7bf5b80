package import Kubernetes

extension NodeAgentConfig {
    /// The ConfigMap name Velero's documentation used before `--node-agent-configmap` existed.
    package static let legacyConfigMapName = "node-agent-config"

    /// Reads the configuration from a ConfigMap object as Velero's `GetConfigs` does: `data` must hold
    /// exactly one key (any name) whose value is the JSON document.
    ///
    /// - Parameters:
    ///   - configMap: the ConfigMap object (JSON).
    ///   - name: its name, for messages.
    /// - Returns: the configuration and one warning per unknown key (unknown keys are ignored).
    /// - Throws: ``NodeAgentError`` (`.invalidConfig`) with Velero's messages:
    ///   `data is not available in config map NAME`,
    ///   `more than one keys are found in ConfigMap NAME's data. only expect one`,
    ///   `error to unmarshall configs from NAME: <JSON error with its offset, line and column | field error>`.
    package static func load(configMap: JSONValue, name: String) throws -> (config: NodeAgentConfig, warnings: [String])
    {
        guard let data = configMap["data"]?.objectValue, !data.isEmpty else {
            throw NodeAgentError(code: .invalidConfig, message: "data is not available in config map \(name)")
        }
        guard data.count == 1, let key = data.keys.first, let value = data[key] else {
            throw NodeAgentError(
                code: .invalidConfig,
                message: "more than one keys are found in ConfigMap \(name)'s data. only expect one"
            )
        }
        guard let text = value.stringValue else {
            throw NodeAgentError(
                code: .invalidConfig,
                message: "error to unmarshall configs from \(name): data key \"\(key)\" is not a string"
            )
        }
        return try load(json: text, source: name)
    }

    /// Reads the configuration from JSON text (the value of the ConfigMap's data key, or a file).
    ///
    /// - Parameter source: the ConfigMap or file name, for messages.
    /// - Throws: ``NodeAgentError`` (`.invalidConfig`): `error to unmarshall configs from SOURCE: …`.
    package static func load(json text: String, source: String) throws -> (config: NodeAgentConfig, warnings: [String])
    {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text)
        } catch let e as KubeError {
            throw NodeAgentError(
                code: .invalidConfig,
                message: "error to unmarshall configs from \(source): \(e.message)"
            )
        }
        var unknown: [String] = []
        do {
            let config = try NodeAgentConfig(json: document, unknownKeys: &unknown)
            let warnings = unknown.map { "unknown key \"\($0)\" in the node-agent configuration \(source) is ignored" }
            return (config, warnings)
        } catch let e as NodeAgentError {
            throw NodeAgentError(
                code: .invalidConfig,
                message: "error to unmarshall configs from \(source): \(e.message)"
            )
        }
    }
}
