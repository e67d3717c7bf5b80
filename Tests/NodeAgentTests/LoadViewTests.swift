import Kubernetes
import Testing

@testable import NodeAgent

/// The per-node slot accounting: concurrency, held slots and resumed data paths.
struct DataPathSlotsTests {
    static func key(_ name: String) -> LoadKey { LoadKey(kind: .dataUpload, name: name) }

    @Test func heldAndRunningSlotsNeverExceedTheConcurrency() {
        var slots = DataPathSlots(capacity: 2)
        #expect(slots.hold(Self.key("a")) == true && slots.hold(Self.key("b")) == true)
        #expect(slots.hold(Self.key("c")) == false)
        #expect(slots.free == 0)
        // A held slot is taken over by its own load; another load finds the node full.
        #expect(slots.reserve(Self.key("a"), resumed: false) == true)
        #expect(slots.reserve(Self.key("c"), resumed: false) == false)
        #expect(slots.releaseHold(Self.key("b")) == true)
        #expect(slots.releaseHold(Self.key("a")) == false)  // running, not just held
        #expect(slots.reserve(Self.key("c"), resumed: false) == true)
        #expect(slots.reserve(Self.key("d"), resumed: false) == false)
        // A resumed data path is admitted regardless.
        #expect(slots.reserve(Self.key("r"), resumed: true) == true)
        #expect(slots.free == -1)
    }
}

/// The view's bookkeeping: the prepare-queue count, committed loads per node, and the loads a periodic
/// resync looks at.
struct LoadViewTests {
    /// A state machine configuration for `node` with the default node-agent configuration and no known nodes.
    static func configuration(node: String) -> LoadStateMachine.Configuration {
        let config = NodeAgentConfig().resolve(in: ClusterFacts(nodes: []))
        return LoadStateMachine.Configuration(node: node, config: config, nodes: [])
    }

    static func load(
        _ name: String,
        _ transform: (LoadObject) throws -> LoadObject = { $0 },
        version: Int
    ) throws -> LoadObject {
        let object = ClusterLoadSimulation.dataUpload(
            .init(name: name, storageClass: "standard", duration: .seconds(1)),
            namespace: "velero"
        )
        var value = object.value
        value[path: ["metadata", "resourceVersion"]] = .string(String(version))
        return try transform(LoadObject(kind: .dataUpload, object: value))
    }

    @Test func tracksCountsAndTheUnsettledLoadsThroughEveryPhase() throws {
        var cache = LoadView()
        let time = "2026-11-22T00:00:00Z"
        cache.put(try Self.load("a", version: 1))
        cache.put(try Self.load("b", version: 1))
        #expect(cache.unsettledLoads().isEmpty)  // New loads are offered, not resynced

        let accepted = try Self.load("a", { try $0.accepted(byNode: "n1", at: time).withFinalizer() }, version: 2)
        cache.put(accepted)
        #expect(cache.exposingCount == 1)
        #expect(cache.committedCounts == ["n1": 1])
        #expect(cache.unsettledLoads().map(\.name) == ["a"])

        let prepared = try accepted.prepared(onNode: "n2")
        var preparedObject = prepared.object
        preparedObject[path: ["metadata", "resourceVersion"]] = "3"
        cache.put(LoadObject(kind: .dataUpload, object: preparedObject))
        #expect(cache.committedCounts == ["n2": 1])

        // An older version never replaces a newer one.
        cache.put(accepted)
        #expect(cache.committedCounts == ["n2": 1])

        var done = try LoadObject(kind: .dataUpload, object: preparedObject).started(at: time).completed(
            at: time,
            path: "/p",
            snapshotID: "s",
            incrementalBytes: 0,
            emptySnapshot: false
        )
        done.object[path: ["metadata", "resourceVersion"]] = "4"
        cache.put(done)
        #expect(cache.exposingCount == 0)
        #expect(cache.committedCounts.isEmpty)
        #expect(cache.unsettledLoads().map(\.name) == ["a"])  // final, finalizer still on
        var released = done.withoutFinalizer()
        released.object[path: ["metadata", "resourceVersion"]] = "5"
        cache.put(released)
        #expect(cache.unsettledLoads().isEmpty)
        cache.remove(LoadKey(kind: .dataUpload, name: "b"))
        #expect(cache.load(LoadKey(kind: .dataUpload, name: "b")) == nil)
    }
}
