import Kubernetes
import Synchronization

/// A node agent's view of the cluster, fed by its watches (an informer cache): the loads of every watched
/// kind, the data-mover pods on this node and the prepare-queue ConfigMap. Reads never touch the API.
final class LoadCache: Sendable {
    private struct State {
        var loads: [LoadKey: LoadObject] = [:]
        var pods: [String: JSONValue] = [:]
        var queue: KubeObject?
    }

    private let state = Mutex(State())

    init() {}

    /// Whether `incoming` is not older than `current` (resourceVersions compared as numbers when both are).
    private static func isNewer(_ incoming: String?, than current: String?) -> Bool {
        guard let incoming, let current, let a = UInt64(incoming), let b = UInt64(current) else { return true }
        return a >= b
    }

    // MARK: Loads

    func load(_ key: LoadKey) -> LoadObject? { state.withLock { $0.loads[key] } }

    /// Stores a load unless the cache already holds a newer version of it.
    func put(_ load: LoadObject) {
        let key = LoadKey(kind: load.kind, name: load.name)
        state.withLock { s in
            if let current = s.loads[key], !Self.isNewer(load.resourceVersion, than: current.resourceVersion) { return }
            s.loads[key] = load
        }
    }

    func remove(_ key: LoadKey) { state.withLock { _ = $0.loads.removeValue(forKey: key) } }

    /// Forgets every load of `kind` (a watch restarted; ADDED events for the current objects follow).
    func reset(_ kind: LoadKind) { state.withLock { s in s.loads = s.loads.filter { $0.key.kind != kind } } }

    /// Every cached load.
    func allLoads() -> [LoadObject] { state.withLock { Array($0.loads.values) } }

    /// The loads labelled `velero.io/expose-on-going=true` (Velero's prepare-queue count).
    func exposingCount() -> Int { state.withLock { $0.loads.values.count(where: \.isExposing) } }

    /// The number of cached loads in `phase`.
    func count(phase: LoadPhase) -> Int { state.withLock { $0.loads.values.count { $0.phase == phase } } }

    /// Loads whose data path occupies each node: Prepared, InProgress or Canceling with `status.node`
    /// (only InProgress and Canceling when `runningOnly`).
    func occupancy(runningOnly: Bool = false) -> [String: Int] {
        let phases: Set<LoadPhase> = runningOnly ? [.inProgress, .canceling] : [.prepared, .inProgress, .canceling]
        return state.withLock { s in
            var counts: [String: Int] = [:]
            for load in s.loads.values where phases.contains(load.phase) {
                if let node = load.node { counts[node, default: 0] += 1 }
            }
            return counts
        }
    }

    // MARK: Pods on this node

    func pod(named name: String) -> JSONValue? { state.withLock { $0.pods[name] } }
    func putPod(_ pod: JSONValue) {
        guard let name = pod["metadata"]?["name"]?.stringValue else { return }
        state.withLock { $0.pods[name] = pod }
    }
    func removePod(named name: String) { state.withLock { _ = $0.pods.removeValue(forKey: name) } }
    func resetPods() { state.withLock { $0.pods = [:] } }

    // MARK: Prepare queue

    var queueObject: KubeObject? {
        get { state.withLock { $0.queue } }
        set {
            state.withLock { s in
                if let newValue, let current = s.queue, !Self.isNewer(newValue.resourceVersion, than: current.resourceVersion) {
                    return
                }
                s.queue = newValue
            }
        }
    }
}
