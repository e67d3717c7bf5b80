/// What the configuration is resolved against: the nodes, storage classes and priority classes of a
/// cluster (read once at start, like Velero), or those given to `config explain` in files.
package struct ClusterFacts: Sendable, Hashable {
    /// A node: its name and labels.
    package struct Node: Sendable, Hashable {
        package var name: String
        package var labels: [String: String]
        package init(name: String, labels: [String: String] = [:]) {
            self.name = name
            self.labels = labels
        }
    }

    /// A storage class: its name, reclaim policy ("" when unset) and volume binding mode.
    package struct StorageClass: Sendable, Hashable {
        package var name: String
        package var reclaimPolicy: String
        package var volumeBindingMode: String
        package init(name: String, reclaimPolicy: String = "", volumeBindingMode: String = "") {
            self.name = name
            self.reclaimPolicy = reclaimPolicy
            self.volumeBindingMode = volumeBindingMode
        }
    }

    /// The nodes.
    package var nodes: [Node]
    /// The storage classes, or nil when unknown (existence is then not checked).
    package var storageClasses: [StorageClass]?
    /// The priority class names, or nil when unknown (existence is then not checked).
    package var priorityClasses: [String]?

    package init(nodes: [Node] = [], storageClasses: [StorageClass]? = nil, priorityClasses: [String]? = nil) {
        self.nodes = nodes
        self.storageClasses = storageClasses
        self.priorityClasses = priorityClasses
    }

    /// The storage class named `name`, if known.
    package func storageClass(named name: String) -> StorageClass? {
        storageClasses?.first { $0.name == name }
    }
}
