import ArgumentParser
import Foundation
import Kubernetes
import Logging
import NodeAgent

/// `lifeboat node-agent config explain`: the effective node-agent configuration per node and storage class.
struct NodeAgentConfigExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the effective node-agent configuration for every node and storage class.",
        discussion: """
            Reads the configuration from a file (--config: the JSON document, or a ConfigMap in JSON or YAML) or \
            from the cluster (--configmap NAME in --namespace), and resolves it like Velero's node agent does \
            against nodes and storage classes from files (--nodes, --storage-classes: JSON or YAML, a List or \
            single objects) or from the cluster (--from-cluster, which also checks the priority class).
            """
    )

    /// Output formats.
    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case json, table
    }

    @Option(name: .customLong("config"), help: "A file with the configuration JSON, or a ConfigMap (JSON or YAML).")
    var configFile: String?

    @Option(name: .customLong("configmap"), help: "The node-agent ConfigMap to read from the cluster.")
    var configMap: String?

    @Option(name: .customLong("nodes"), help: "A file with Node objects (JSON or YAML, a List or single objects).")
    var nodesFile: String?

    @Flag(name: .customLong("from-cluster"), help: "Read nodes, storage classes and priority classes from the cluster.")
    var fromCluster = false

    @Option(name: .customLong("storage-classes"), help: "A file with StorageClass objects (JSON or YAML).")
    var storageClassesFile: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: json or table.")
    var output: OutputFormat = .table

    /// Cluster access: --kubeconfig, --kubecontext, -n/--namespace.
    @OptionGroup var globals: GlobalOptions

    func validate() throws {
        guard (configFile == nil) != (configMap == nil) else {
            throw ValidationError("give exactly one of --config FILE or --configmap NAME")
        }
        if fromCluster && nodesFile != nil {
            throw ValidationError("give at most one of --nodes FILE or --from-cluster")
        }
    }

    func run() async throws {
        // Errors reach ArgumentParser, which prints `Error: <description>` and exits 1 (as for every command).
        let explanation = try await explain()
        switch output {
        case .json: print(explanation.json.prettyJSONString)
        case .table: print(ExplainTable.render(explanation), terminator: "")
        }
    }

    func explain() async throws -> ConfigExplanation {
        var cluster = ClusterFacts()
        var loaded: (config: NodeAgentConfig, warnings: [String])?
        if let configFile { loaded = try Self.loadConfig(path: configFile) }
        if let nodesFile { cluster.nodes = try Self.nodes(from: KubernetesObjectFile.objects(path: nodesFile)) }
        if let storageClassesFile {
            cluster.storageClasses = Self.storageClasses(
                from: try KubernetesObjectFile.objects(path: storageClassesFile)
            )
        }
        if configMap != nil || fromCluster {
            let fromFiles = cluster
            let name = configMap
            let namespace = globals.installNamespace
            let fromCluster = fromCluster
            let result: (ClusterFacts, NodeAgentConfig?, [String]) = try await globals.withClient { client in
                var facts = fromFiles
                var clusterConfig: (NodeAgentConfig, [String])?
                if let name {
                    let cm = try await client.get(.configMaps, namespace: namespace, name: name)
                    clusterConfig = try NodeAgentConfig.load(configMap: cm.value, name: name)
                }
                if fromCluster {
                    facts.nodes = try Self.nodes(from: try await client.list(Self.nodesResource).items.map(\.value))
                    if facts.storageClasses == nil {
                        facts.storageClasses = Self.storageClasses(
                            from: try await client.list(Self.storageClassesResource).items.map(\.value)
                        )
                    }
                    facts.priorityClasses = try await client.list(Self.priorityClassesResource).items.compactMap(\.name)
                }
                return (facts, clusterConfig?.0, clusterConfig?.1 ?? [])
            }
            cluster = result.0
            if let c = result.1 { loaded = (c, result.2) }
        }
        guard let loaded else { throw CLIError("no configuration was read") }
        return ConfigExplanation(config: loaded.config, loadWarnings: loaded.warnings, cluster: cluster)
    }

    static let nodesResource = GroupVersionResource(group: "", version: "v1", resource: "nodes")
    static let storageClassesResource = GroupVersionResource(
        group: "storage.k8s.io",
        version: "v1",
        resource: "storageclasses"
    )
    static let priorityClassesResource = GroupVersionResource(
        group: "scheduling.k8s.io",
        version: "v1",
        resource: "priorityclasses"
    )

    /// The configuration from a file: a ConfigMap object (JSON or YAML) or the configuration JSON itself.
    static func loadConfig(path: String) throws -> (config: NodeAgentConfig, warnings: [String]) {
        let text = try KubernetesObjectFile.readText(path: path)
        if let json = try? JSONValue(parsing: text) {
            if json["kind"]?.stringValue == "ConfigMap" {
                return try NodeAgentConfig.load(configMap: json, name: json["metadata"]?["name"]?.stringValue ?? path)
            }
            return try NodeAgentConfig.load(json: text, source: path)
        }
        let objects = try KubernetesObjectFile.objects(path: path)
        guard let cm = objects.first(where: { $0["kind"]?.stringValue == "ConfigMap" }) else {
            // Not JSON and no ConfigMap: report the JSON error with its position.
            return try NodeAgentConfig.load(json: text, source: path)
        }
        return try NodeAgentConfig.load(configMap: cm, name: cm["metadata"]?["name"]?.stringValue ?? path)
    }

    static func nodes(from objects: [JSONValue]) throws -> [ClusterFacts.Node] {
        try objects.filter { ($0["kind"]?.stringValue ?? "Node") == "Node" }.map { node in
            guard let name = node["metadata"]?["name"]?.stringValue else {
                throw CLIError("a Node object has no metadata.name")
            }
            var labels: [String: String] = [:]
            for (k, v) in node["metadata"]?["labels"]?.objectValue ?? [:] { labels[k] = v.stringValue ?? "" }
            return ClusterFacts.Node(name: name, labels: labels)
        }
    }

    static func storageClasses(from objects: [JSONValue]) -> [ClusterFacts.StorageClass] {
        objects.filter { ($0["kind"]?.stringValue ?? "StorageClass") == "StorageClass" }.compactMap { sc in
            guard let name = sc["metadata"]?["name"]?.stringValue else { return nil }
            return ClusterFacts.StorageClass(
                name: name,
                reclaimPolicy: sc["reclaimPolicy"]?.stringValue ?? "",
                volumeBindingMode: sc["volumeBindingMode"]?.stringValue ?? ""
            )
        }
    }
}
