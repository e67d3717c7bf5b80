import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import Testing

/// The informer against a sandbox: list, watch, relist after 410 Gone, indexes.
struct InformerTests {
    /// Runs `informer` beside `body` and stops it afterwards.
    func running(
        _ informer: Informer<ContinuousClock>,
        _ body: () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informer.runUntilCancelled() }
            defer { group.cancelAll() }
            try await body()
        }
    }

    @Test func listsThenWatchesIntoTheCache() async throws {
        try await withSandbox { _, client in
            let selector = try LabelSelector(parsing: "app=informer")
            _ = try await client.create(.configMaps, testConfigMap("one", labels: ["app": "informer"]))
            _ = try await client.create(.configMaps, testConfigMap("two", labels: ["app": "informer"]))
            _ = try await client.create(.configMaps, testConfigMap("other"))
            let informer = Informer(
                client: client,
                configuration: .init(resource: .configMaps, namespace: "default", labelSelector: selector),
                logger: .quiet
            )
            let seen = Box<[String]>([])
            informer.addHandler { change in
                let line =
                    switch change {
                    case .added(let object): "added \(object.name ?? "")"
                    case .updated(let old, let new): "updated \(new.name ?? "") \(old["data"]?["k"]?.stringValue ?? "")"
                    case .deleted(let object): "deleted \(object.name ?? "")"
                    }
                seen.update { $0.append(line) }
            }
            #expect(!informer.hasSynced)
            try await running(informer) {
                try await informer.waitUntilSynced()
                #expect(informer.cache.count == 2)
                #expect(informer.cache.object(namespace: "default", name: "one") != nil)
                #expect(informer.cache.list().compactMap(\.name) == ["one", "two"])

                _ = try await client.create(.configMaps, testConfigMap("three", labels: ["app": "informer"]))
                var three = try await client.get(.configMaps, namespace: "default", name: "three")
                three["data"] = ["k": "changed"]
                _ = try await client.update(.configMaps, three)
                try await client.delete(.configMaps, namespace: "default", name: "one")

                try await waitUntil("the deletion is seen") { seen.get.last == "deleted one" }
                #expect(seen.get == ["added one", "added two", "added three", "updated three v", "deleted one"])
                #expect(informer.cache.list().compactMap(\.name) == ["three", "two"])
                #expect(informer.cache[NamespacedName(namespace: "default", name: "one")] == nil)
                let three2 = informer.cache.object(namespace: "default", name: "three")
                #expect(three2?["data"]?["k"]?.stringValue == "changed")
            }
        }
    }

    @Test func relistsAfterGone() async throws {
        try await withSandbox { sandbox, client in
            _ = try await client.create(.configMaps, testConfigMap("before"))
            let informer = Informer(
                client: client,
                configuration: .init(resource: .configMaps, namespace: "default", watchTimeoutSeconds: 1),
                logger: .quiet
            )
            try await running(informer) {
                try await informer.waitUntilSynced()
                #expect(informer.listCount == 1)
                // The watch ends every second; its next request is answered 410 Gone: the informer lists again.
                sandbox.faults.inject(
                    status: 410,
                    count: 1,
                    pathContains: "/namespaces/default/configmaps",
                    method: "GET"
                )
                try await waitUntil("the informer listed again") { informer.listCount >= 2 }
                _ = try await client.create(.configMaps, testConfigMap("after"))
                try await waitUntil("the new object is cached") {
                    informer.cache.object(namespace: "default", name: "after") != nil
                }
                #expect(informer.cache.object(namespace: "default", name: "before") != nil)
            }
        }
    }

    @Test func indexesObjects() async throws {
        try await withSandbox { _, client in
            _ = try await client.create(.configMaps, testConfigMap("a", labels: ["tier": "front"]))
            _ = try await client.create(.configMaps, testConfigMap("b", labels: ["tier": "back"]))
            _ = try await client.create(.configMaps, testConfigMap("c", labels: ["tier": "front"]))
            let informer = Informer(
                client: client,
                configuration: .init(resource: .configMaps, namespace: "default"),
                indexers: ["tier": { object in object.labels["tier"].map { [$0] } ?? [] }],
                logger: .quiet
            )
            try await running(informer) {
                try await informer.waitUntilSynced()
                #expect(informer.cache.objects(index: "tier", value: "front").compactMap(\.name) == ["a", "c"])
                var a = try await client.get(.configMaps, namespace: "default", name: "a")
                a.labels["tier"] = "back"
                _ = try await client.update(.configMaps, a)
                try await waitUntil("a moved to the back tier") {
                    informer.cache.keys(index: "tier", value: "back") == [
                        NamespacedName(namespace: "default", name: "a"),
                        NamespacedName(namespace: "default", name: "b"),
                    ]
                }
                #expect(informer.cache.objects(index: "tier", value: "front").compactMap(\.name) == ["c"])
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func resyncHandsEveryObjectOverAgain() async throws {
        try await withSandbox { _, client in
            _ = try await client.create(.configMaps, testConfigMap("resync"))
            let informer = Informer(
                client: client,
                configuration: .init(resource: .configMaps, namespace: "default", resyncInterval: .milliseconds(50)),
                logger: .quiet
            )
            let changes = informer.changes()
            try await running(informer) {
                for await change in changes {
                    if case .updated(let old, let new) = change, old == new, new.name == "resync" { break }
                }
            }
        }
    }

    @Test func replaceReportsWhatAListChanged() {
        let cache = InformerCache(indexers: [InformerCache.namespaceIndex.name: InformerCache.namespaceIndex.function])
        cache.store(testConfigMap("kept"))
        cache.store(testConfigMap("gone", namespace: "other"))
        let events = cache.replace(with: [testConfigMap("kept", value: "new"), testConfigMap("fresh")])
        #expect(events.count == 3)
        #expect(events.contains(.added(testConfigMap("fresh"))))
        #expect(events.contains(.updated(old: testConfigMap("kept"), new: testConfigMap("kept", value: "new"))))
        #expect(events.contains(.deleted(testConfigMap("gone", namespace: "other"))))
        #expect(cache.objects(index: "namespace", value: "other").isEmpty)
        #expect(cache.keys(index: "namespace", value: "default").count == 2)
    }

    @Test func storeKeepsTheNewerVersion() {
        let cache = InformerCache()
        var newer = testConfigMap("x", value: "new")
        newer.resourceVersion = "20"
        var older = testConfigMap("x", value: "old")
        older.resourceVersion = "10"
        #expect(cache.store(newer) == .added(newer))
        #expect(cache.store(older) == nil)
        #expect(cache.object(namespace: "default", name: "x") == newer)
        #expect(cache.remove(NamespacedName(namespace: "default", name: "x")) == .deleted(newer))
    }
}
