import Testing

@testable import BackupEngine

struct FilterTests {
    @Test(arguments: [
        ("*", "anything", true), ("app-*", "app-web", true), ("app-*", "db", false),
        ("ns?", "ns1", true), ("ns?", "ns12", false), ("ns[0-2]", "ns1", true), ("ns[0-2]", "ns5", false),
        ("ns[!0-2]", "ns5", true), ("exact", "exact", true), ("exact", "exactly", false), ("*-prod", "a-prod", true),
    ])
    func globs(pattern: String, text: String, expected: Bool) {
        #expect(Glob.matches(pattern: pattern, text) == expected)
    }

    @Test func excludesWinOverIncludes() {
        let filter = IncludesExcludes(includes: ["app-*"], excludes: ["app-secret"])
        #expect(filter.shouldInclude("app-web"))
        #expect(!filter.shouldInclude("app-secret"))
        #expect(!filter.shouldInclude("db"))
        #expect(IncludesExcludes().shouldInclude("x"))
        #expect(IncludesExcludes(includes: ["*"]).includesEverything)
        #expect(!IncludesExcludes(includes: ["*"], excludes: ["kube-system"]).includesEverything)
    }

    @Test func validationMessagesAreVelero() {
        #expect(
            IncludesExcludes(includes: ["*", "pods"]).validationErrors() == [
                "includes list must either contain '*' only, or a non-empty list of items"
            ]
        )
        #expect(IncludesExcludes(excludes: ["*"]).validationErrors() == ["excludes list cannot contain '*'"])
        #expect(
            IncludesExcludes(includes: ["pods"], excludes: ["pods"]).validationErrors() == [
                "excludes list cannot contain an item in the includes list: pods"
            ]
        )
        #expect(
            IncludesExcludes(includes: ["pods"], excludes: ["*"]).scopedValidationErrors() == [
                "when exclude is '*', include cannot have value"
            ]
        )
        #expect(IncludesExcludes(excludes: ["*"]).scopedValidationErrors().isEmpty)
    }

    @Test func oldFilterClusterScopedDefaults() {
        let everything = IncludesExcludes()
        let someNamespaces = IncludesExcludes(includes: ["demo"])
        let auto = ResourceFilter(
            mode: .global(resources: everything, includeClusterResources: nil),
            namespaces: everything
        )
        #expect(auto.shouldInclude("persistentvolumes", namespaced: false))
        let autoSome = ResourceFilter(
            mode: .global(resources: everything, includeClusterResources: nil),
            namespaces: someNamespaces
        )
        #expect(!autoSome.shouldInclude("persistentvolumes", namespaced: false))
        #expect(autoSome.shouldInclude("namespaces", namespaced: false))
        #expect(autoSome.shouldInclude("pods", namespaced: true))
        let forced = ResourceFilter(
            mode: .global(resources: everything, includeClusterResources: true),
            namespaces: someNamespaces
        )
        #expect(forced.shouldInclude("persistentvolumes", namespaced: false))
        let off = ResourceFilter(
            mode: .global(resources: everything, includeClusterResources: false),
            namespaces: everything
        )
        #expect(!off.shouldInclude("persistentvolumes", namespaced: false))
        #expect(!off.shouldInclude("namespaces", namespaced: false))
        let onlyPods = ResourceFilter(
            mode: .global(resources: IncludesExcludes(includes: ["pods"]), includeClusterResources: nil),
            namespaces: everything
        )
        #expect(onlyPods.shouldInclude("pods", namespaced: true))
        #expect(!onlyPods.shouldInclude("configmaps", namespaced: true))
    }

    @Test func scopedFilterSemantics() {
        let everything = IncludesExcludes()
        let full = ResourceFilter(
            mode: .scoped(clusterScoped: everything, namespaceScoped: everything),
            namespaces: everything
        )
        #expect(full.shouldInclude("storageclasses.storage.k8s.io", namespaced: false))
        let someNs = ResourceFilter(
            mode: .scoped(clusterScoped: everything, namespaceScoped: everything),
            namespaces: IncludesExcludes(includes: ["demo"])
        )
        #expect(!someNs.shouldInclude("storageclasses.storage.k8s.io", namespaced: false))
        #expect(someNs.shouldInclude("namespaces", namespaced: false))
        let clusterIncl = ResourceFilter(
            mode: .scoped(
                clusterScoped: IncludesExcludes(includes: ["persistentvolumes"]),
                namespaceScoped: everything
            ),
            namespaces: IncludesExcludes(includes: ["demo"])
        )
        #expect(clusterIncl.shouldInclude("persistentvolumes", namespaced: false))
        #expect(!clusterIncl.shouldInclude("storageclasses.storage.k8s.io", namespaced: false))
        let noCluster = ResourceFilter(
            mode: .scoped(clusterScoped: IncludesExcludes(excludes: ["*"]), namespaceScoped: everything),
            namespaces: everything
        )
        #expect(!noCluster.shouldInclude("namespaces", namespaced: false))
        let noNamespaced = ResourceFilter(
            mode: .scoped(clusterScoped: everything, namespaceScoped: IncludesExcludes(excludes: ["*"])),
            namespaces: everything
        )
        #expect(!noNamespaced.shouldInclude("pods", namespaced: true))
        // A namespace-scoped filter is not "everything".
        #expect(!noNamespaced.shouldInclude("persistentvolumes", namespaced: false))
        #expect(noNamespaced.shouldInclude("namespaces", namespaced: false))
    }

    @Test func namespaceWildcards() {
        let names = ["app-a", "app-b", "db", "kube-system"]
        #expect(NamespaceWildcard.expand(["app-*", "db"], against: names) == ["app-a", "app-b", "db"])
        #expect(NamespaceWildcard.expand(["*"], against: names) == ["*"])
        #expect(NamespaceWildcard.expand(["nothing-*"], against: names) == [])
        #expect(NamespaceWildcard.validate("a|b") != nil)
        #expect(NamespaceWildcard.validate("a**") != nil)
        #expect(NamespaceWildcard.validate("{a,b}") != nil)
        #expect(NamespaceWildcard.validate("app-?") == nil)
        #expect(NamespaceWildcard.validate("app-[ab]") == nil)
        #expect(NamespaceWildcard.validate("") == nil)
        #expect(NamespaceWildcard.validate("*") == nil)
    }

    /// Velero's namespace-filter tables (`pkg/util/collections/includes_excludes_test.go`): names a namespace
    /// cannot have are refused with the label rule, wildcards stood in for.
    @Test(arguments: ["foo.bar", "bar_321", "$foo", "foo>bar", "Upper", "-lead", String(repeating: "a", count: 64)])
    func namespaceNamesANamespaceCannotHaveAreRefused(_ name: String) {
        let problem = NamespaceWildcard.validate(name)
        #expect(
            problem?.hasPrefix("invalid namespace \(name.debugDescription): ") == true,
            "\(String(describing: problem))"
        )
    }

    @Test func aWildcardThatMatchesNothingIncludesNothing() {
        let nothing = IncludesExcludes(includes: [], includesNothing: true)
        #expect(!nothing.shouldInclude("default"))
        #expect(!nothing.includesEverything)
        #expect(IncludesExcludes(includes: []).shouldInclude("default"))
    }
}
