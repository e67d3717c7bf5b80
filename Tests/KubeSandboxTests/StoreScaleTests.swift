import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// The store's structures for large collections behave exactly as the plain ones they replace: key order,
/// pagination under interleaved writes, per-node pod counts, and a log compacted while writes go on.
struct StoreScaleTests {
    /// A deterministic generator (SplitMix64), so a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func object(_ name: String, uid: String = "", extra: JSONObject = [:]) -> PreparedObject {
        var metadata: JSONObject = ["name": .string(name)]
        if !uid.isEmpty { metadata["uid"] = .string(uid) }
        var object: JSONObject = ["metadata": .object(metadata)]
        for (key, value) in extra { object[key] = value }
        return PreparedObject(.object(object))
    }

    static func namespace(_ store: SandboxStore, _ name: String) throws {
        _ = try store.commit(
            "namespaces",
            ObjectKey(namespace: "", name: name),
            .create(object(name)),
            namespaced: false
        )
        .get()
    }

    // MARK: - Key order

    @Test func orderedObjectsKeepEtcdKeyOrderThroughInsertsAndRemovals() {
        var generator = Generator(state: 7)
        var ordered = OrderedObjects()
        var reference: [ObjectKey: Int64] = [:]
        let stored = Self.object("x").stored(resourceVersion: 1)
        for step in 0..<20_000 {
            let key = ObjectKey(
                namespace: ["", "a", "a-b", "b", "kube-system", "z"].randomElement(using: &generator) ?? "",
                name: "n\(Int.random(in: 0..<3_000, using: &generator))"
            )
            if Bool.random(using: &generator) || reference[key] == nil {
                var value = stored
                value.resourceVersion = Int64(step)
                let previous = ordered.set(key, value)
                #expect(previous?.resourceVersion == reference[key])
                reference[key] = Int64(step)
            } else {
                #expect(ordered.set(key, nil)?.resourceVersion == reference[key])
                reference[key] = nil
            }
        }
        let expected = reference.keys.sorted()
        var seen: [ObjectKey] = []
        ordered.forEach(from: ordered.start) { entry in
            seen.append(entry.key)
            #expect(entry.object.resourceVersion == reference[entry.key])
            return true
        }
        #expect(seen == expected)
        #expect(ordered.count == expected.count)
        for key in expected.prefix(500) { #expect(ordered[key]?.resourceVersion == reference[key]) }
        // Positions: the first key not less than (or greater than) a probe, as a binary search of the sorted keys.
        for probe in expected.prefix(300) + [ObjectKey(namespace: "a", name: ""), ObjectKey(namespace: "zz", name: "")]
        {
            let atOrAfter = expected.first { !($0 < probe) }
            let after = expected.first { probe < $0 }
            #expect(ordered.entry(at: ordered.position(of: probe))?.key == atOrAfter)
            #expect(ordered.entry(at: ordered.position(of: probe, strictlyAfter: true))?.key == after)
        }
    }

    // MARK: - Pagination under interleaved writes

    /// Every page is exactly what a sorted copy of the store at that moment gives: the first `limit` keys after
    /// the continue key (in the namespace, when listing one), the next key, and the remaining count; with
    /// creates and deletes across namespaces between the pages.
    @Test(arguments: [nil, "ns-3"] as [String?])
    func pagesMatchASortedCopyUnderInterleavedWrites(namespace: String?) throws {
        let store = SandboxStore(historyCapacity: 1000, log: nil)
        let namespaces = (0..<8).map { "ns-\($0)" }
        for name in namespaces { try Self.namespace(store, name) }
        var generator = Generator(state: 42)
        var live: Set<ObjectKey> = []
        func write() throws {
            let key = ObjectKey(
                namespace: namespaces.randomElement(using: &generator) ?? "ns-0",
                name: "cm-\(Int.random(in: 0..<2_000, using: &generator))"
            )
            if live.contains(key) {
                _ = try store.commit("configmaps", key, .delete(expected: nil), namespaced: true).get()
                live.remove(key)
            } else {
                _ = try store.commit("configmaps", key, .create(Self.object(key.name)), namespaced: true).get()
                live.insert(key)
            }
        }
        for _ in 0..<1_500 { try write() }
        for limit in [3, 40, 500] {
            var after: ObjectKey?
            var pages = 0
            repeat {
                let page = store.list(
                    "configmaps",
                    namespace: namespace,
                    after: after,
                    limit: limit,
                    countRemaining: true,
                    matches: { _, _ in true }
                )
                let candidates = live.filter { key in
                    (namespace == nil || key.namespace == namespace) && after.map { $0 < key } ?? true
                }
                .sorted()
                #expect(page.items.map(\.0) == Array(candidates.prefix(limit)))
                #expect(page.next == (candidates.count > limit ? candidates[limit - 1] : nil))
                #expect(page.remaining == max(candidates.count - limit, 0))
                #expect(page.resourceVersion == store.currentResourceVersion)
                after = page.next
                pages += 1
                for _ in 0..<Int.random(in: 0...5, using: &generator) { try write() }
            } while after != nil && pages < 10_000
            #expect(after == nil)
        }
        // A selector that matches only some objects: skipped; the API does not count what remains then.
        let odd = store.list("configmaps", namespace: namespace, after: nil, limit: 3, countRemaining: false) {
            key,
            _ in
            key.name.hasSuffix("1")
        }
        let expected = live.filter { (namespace == nil || $0.namespace == namespace) && $0.name.hasSuffix("1") }
            .sorted()
        #expect(odd.items.map(\.0) == Array(expected.prefix(3)))
        #expect(odd.remaining == (expected.count > 3 ? 1 : 0))
        #expect(odd.next == (expected.count > 3 ? expected[2] : nil))
    }

    // MARK: - Pods per node

    @Test func podsPerNodeFollowsCreatesBindingsDeletesAndReplay() async throws {
        try await withTemporaryDirectory(prefix: "pods-per-node") { directory in
            let url = directory.appendingPathComponent("objects.log")
            let log = try WriteAheadLog(url: url)
            let store = SandboxStore(historyCapacity: 1000, log: log)
            try Self.namespace(store, "a")
            try Self.namespace(store, "b")
            var generator = Generator(state: 3)
            var nodeOf: [ObjectKey: String?] = [:]  // live pod -> its node (nil: not bound)
            var last: UInt64?
            for step in 0..<2_000 {
                let key = ObjectKey(
                    namespace: Bool.random(using: &generator) ? "a" : "b",
                    name: "pod-\(Int.random(in: 0..<150, using: &generator))"
                )
                let node: String? = ["n1", "n2", "n3", nil].randomElement(using: &generator) ?? nil
                let spec =
                    node.map { JSONValue.object(["nodeName": .string($0)]) } ?? JSONValue.object(["containers": []])
                let prepared = Self.object(key.name, uid: "uid-\(step)", extra: ["spec": spec])
                let operation: SandboxStore.Operation
                if nodeOf.index(forKey: key) == nil {
                    operation = .create(prepared)
                    nodeOf[key] = .some(node)
                } else if Int.random(in: 0..<3, using: &generator) == 0 {
                    operation = .delete(expected: nil)
                    nodeOf.removeValue(forKey: key)
                } else {
                    operation = .update(prepared, expected: nil)  // binds, rebinds or unbinds
                    nodeOf[key] = .some(node)
                }
                last = try store.commit("pods", key, operation, namespaced: true).get().1 ?? last
            }
            var expected: [String: Int] = [:]
            for case let node?? in nodeOf.values { expected[node, default: 0] += 1 }
            #expect(store.podsPerNode == expected)
            // The same counts after a replay of the log, and after a compaction and a replay.
            try await store.waitDurable(last)
            let replayed = SandboxStore(historyCapacity: 1000, log: nil)
            _ = try WriteAheadLog.replay(url: url, into: replayed, logger: .quiet)
            #expect(replayed.podsPerNode == expected)
            try await log.compactNow(store)
            let compacted = SandboxStore(historyCapacity: 1000, log: nil)
            _ = try WriteAheadLog.replay(url: url, into: compacted, logger: .quiet)
            #expect(compacted.podsPerNode == expected)
        }
    }

    // MARK: - Compaction while writing

    /// A compaction that runs while another task creates, updates and deletes leaves a log whose replay is the
    /// store's state exactly: the walk may miss or half-see those writes, the tail covers them.
    @Test func compactionUnderWritesReplaysToTheLiveState() async throws {
        try await withTemporaryDirectory(prefix: "compaction") { directory in
            let url = directory.appendingPathComponent("objects.log")
            let log = try WriteAheadLog(url: url)
            let store = SandboxStore(historyCapacity: 1000, log: log)
            for index in 0..<4 { try Self.namespace(store, "ns-\(index)") }
            for index in 0..<6_000 {
                let key = ObjectKey(namespace: "ns-\(index % 4)", name: "cm-\(index)")
                _ = try store.commit("configmaps", key, .create(Self.object(key.name)), namespaced: true).get()
            }
            let writes = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    var generator = Generator(state: 11)
                    var step = 0
                    // Writes go on until the second compaction ends (each awaits its fsync, as a request does).
                    while step < 200 || log.completedCompactions < 2 {
                        let index = Int.random(in: 0..<8_000, using: &generator)
                        let key = ObjectKey(namespace: "ns-\(index % 4)", name: "cm-\(index)")
                        let prepared = Self.object(key.name, extra: ["data": ["step": .string("\(step)")]])
                        let operation: SandboxStore.Operation =
                            switch store.get("configmaps", key) {
                            case nil: .create(prepared)
                            case _ where step % 3 == 0: .delete(expected: nil)
                            default: .update(prepared, expected: nil)
                            }
                        try await store.waitDurable(
                            try store.commit("configmaps", key, operation, namespaced: true).get().1
                        )
                        step += 1
                        if step % 64 == 0 { await Task.yield() }
                    }
                    return step
                }
                try await log.compactNow(store)
                try await log.compactNow(store)
                return try await group.next() ?? 0
            }
            #expect(writes >= 200)
            let replayed = SandboxStore(historyCapacity: 1000, log: nil)
            _ = try WriteAheadLog.replay(url: url, into: replayed, logger: .quiet)
            let live = store.snapshot().map { "\($0.0) \($0.1.path) \($0.2.resourceVersion)" }.sorted()
            let back = replayed.snapshot().map { "\($0.0) \($0.1.path) \($0.2.resourceVersion)" }.sorted()
            #expect(live.count == back.count)
            #expect(live == back)
            let bodies = Dictionary(uniqueKeysWithValues: store.snapshot().map { ("\($0.0) \($0.1.path)", $0.2.body) })
            for (storageKey, key, object) in replayed.snapshot() {
                #expect(bodies["\(storageKey) \(key.path)"] == object.body)
            }
            #expect(replayed.currentResourceVersion == store.currentResourceVersion)
        }
    }
}
