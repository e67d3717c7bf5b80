import BackupEngine
import Testing

struct RestorePrioritiesTests {
    @Test func defaultListsAreVelerosIncludingTheSingularSnapshotClass() {
        let defaults = RestorePriorities.default
        #expect(defaults.high.first == "customresourcedefinitions")
        #expect(defaults.high[1] == "namespaces")
        #expect(defaults.high.contains("volumesnapshotclass.snapshot.storage.k8s.io"))
        #expect(!defaults.high.contains("volumesnapshotclasses.snapshot.storage.k8s.io"))
        #expect(defaults.high.last == "services")
        #expect(defaults.high.count == 23)
        #expect(
            defaults.low == [
                "clusterbootstraps.run.tanzu.vmware.com", "clusters.cluster.x-k8s.io",
                "clusterresourcesets.addons.cluster.x-k8s.io", "apps.kappctrl.k14s.io",
                "packageinstalls.packaging.carvel.dev",
            ]
        )
        // PVs before PVCs, service accounts before role bindings, pods after config.
        let high = defaults.high
        #expect(high.firstIndex(of: "persistentvolumes")! < high.firstIndex(of: "persistentvolumeclaims")!)
        #expect(high.firstIndex(of: "serviceaccounts")! < high.firstIndex(of: "rolebindings")!)
        #expect(high.firstIndex(of: "configmaps")! < high.firstIndex(of: "pods")!)
    }

    @Test(
        arguments: [
            ("a,b,-,c,d", ["a", "b"], ["c", "d"]),
            ("a,b", ["a", "b"], []),
            ("-,c", [], ["c"]),
            ("a,-", ["a"], []),
            ("-", [], []),
        ] as [(String, [String], [String])]
    )
    func parsesTheFlagSyntax(flag: String, high: [String], low: [String]) throws {
        let parsed = try RestorePriorities(parsing: flag)
        #expect(parsed.high == high)
        #expect(parsed.low == low)
    }

    @Test func emptyFlagKeepsTheDefaults() throws {
        #expect(try RestorePriorities(parsing: "") == .default)
    }

    @Test func twoSeparatorsAreAnError() {
        let error = #expect(throws: BackupEngineError.self) {
            _ = try RestorePriorities(parsing: "a,-,b,-,c")
        }
        #expect(error?.code == .invalidPriorities)
        #expect(error?.message.contains("multiple priority separator \"-\" found") == true)
    }

    @Test func flagValueRoundTrips() throws {
        for flag in ["a,b,-,c", "a,b", "-,c"] {
            #expect(try RestorePriorities(parsing: flag).flagValue == flag)
        }
        #expect(RestorePriorities(high: ["x"], low: []).flagValue == "x")
    }

    @Test func orderIsHighThenOthersAlphabeticallyThenLow() {
        let backup = [
            "clusters.cluster.x-k8s.io", "deployments.apps", "configmaps", "namespaces", "widgets.example.com",
            "customresourcedefinitions.apiextensions.k8s.io", "customresourcedefinitions", "pods",
            "apps.kappctrl.k14s.io",
            "Zebras", "persistentvolumes",
        ]
        let order = RestorePriorities.default.ordered(groupResourcesInBackup: backup)
        #expect(
            order == [
                "customresourcedefinitions", "namespaces", "persistentvolumes", "configmaps", "pods",
                // others, byte order (upper case before lower case, like Go's sort.Strings)
                "Zebras", "customresourcedefinitions.apiextensions.k8s.io", "deployments.apps", "widgets.example.com",
                // low, in list order
                "clusters.cluster.x-k8s.io", "apps.kappctrl.k14s.io",
            ]
        )
        #expect(Set(order) == Set(backup))
        #expect(order.count == backup.count)
    }

    @Test func canonicalizeResolvesAliasesAndEachResourceAppearsOnce() {
        let priorities = RestorePriorities(high: ["po", "svc", "po"], low: ["cm", "unknown"])
        let aliases = ["po": "pods", "svc": "services", "cm": "configmaps"]
        let order = priorities.ordered(
            groupResourcesInBackup: ["configmaps", "services", "pods", "secrets"],
            canonicalize: { aliases[$0] }
        )
        #expect(order == ["pods", "services", "secrets", "configmaps"])
    }
}
