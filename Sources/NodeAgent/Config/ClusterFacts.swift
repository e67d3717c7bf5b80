/// What the configuration is resolved against: the nodes, storage classes and priority classes of a
/// cluster (read once at start, like Velero), or those given to `config explain` in files.
public struct ClusterFacts: Sendable, Hashable {
    /// A node: its name and labels.
    public struct Node: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public init(name: String, labels: [String: String] = [:]) {
            self.name = name
            self.labels = labels
        }
    }

    /// A storage class: its name, reclaim policy ("" when unset) and volume binding mode.
    public struct StorageClass: Sendable, Hashable {
        public var name: String
        public var reclaimPolicy: String
        public var volumeBindingMode: String
        public init(name: String, reclaimPolicy: String = "", volumeBindingMode: String = "") {
            self.name = name
            self.reclaimPolicy = reclaimPolicy
            self.volumeBindingMode = volumeBindingMode
        }
    }

    /// The nodes.
    public var nodes: [Node]
    /// The storage classes, or nil when unknown (existence is then not checked).
    public var storageClasses: [StorageClass]?
    /// The priority class names, or nil when unknown (existence is then not checked).
    public var priorityClasses: [String]?

    public init(nodes: [Node] = [], storageClasses: [StorageClass]? = nil, priorityClasses: [String]? = nil) {
        self.nodes = nodes
        self.storageClasses = storageClasses
        self.priorityClasses = priorityClasses
    }

    /// The storage class named `name`, if known.
    public func storageClass(named name: String) -> StorageClass? {
        storageClasses?.first { $0.name == name }
    }
}
