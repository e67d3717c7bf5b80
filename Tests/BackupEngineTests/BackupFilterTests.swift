import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

/// Velero's filter rules end to end: a populated sandbox (`BackupFixture`), several backups, and what
/// their tarballs contain.
struct BackupFilterTests {
    typealias T = BackupTestCluster
    static let crds = "customresourcedefinitions.apiextensions.k8s.io"

    /// Runs `body` with a populated sandbox.
    func withFixture(_ body: (KubeClient, BackupFixture) async throws -> Void) async throws {
        try await withSandbox { _, client in
            let fixture = try await BackupFixture.populate(client)
            try await body(client, fixture)
        }
    }

    func archive(_ client: KubeClient, _ configure: (inout BackupSpec) -> Void) async throws -> BackupArchive {
        var spec = BackupSpec()
        configure(&spec)
        let (backup, archive) = try await T.backUp(client, spec: spec)
        #expect(backup.status?.phase == BackupPhase.completed)
        return archive
    }

    /// Group-resources of cluster-scoped types found in an archive.
    func clusterScopedTypes(_ archive: BackupArchive) -> Set<String> {
        Set(archive.itemLocations.filter { $0.namespace == nil }.map(\.groupResource))
    }

    @Test func namespaceIncludesExcludesAndGlobs() async throws {
        try await withFixture { client, fixture in
            let apps = try await archive(client) { $0.includedNamespaces = ["app-*"] }
            #expect(apps.names("configmaps") == ["app-a/settings", "app-a/both", "app-b/settings"])
            #expect(apps.names("namespaces") == ["app-a", "app-b"])
            #expect(apps.names("secrets") == ["app-a/creds", "app-b/creds"])
            #expect(
                apps.names("storageclasses.storage.k8s.io").isEmpty,
                "a namespace subset drops cluster-scoped types"
            )
            #expect(
                apps.names("persistentvolumes") == [fixture.volumeName],
                "the PV of a backed-up PVC is still included"
            )

            let excluded = try await archive(client) {
                $0.includedNamespaces = ["*"]
                $0.excludedNamespaces = ["app-?", "kube-*", "default"]
            }
            #expect(excluded.names("configmaps") == ["other/settings"])
            #expect(excluded.names("namespaces") == ["other"])

            let bracket = try await archive(client) { $0.includedNamespaces = ["app-[ac]", "oth?r"] }
            #expect(bracket.names("configmaps") == ["app-a/settings", "app-a/both", "other/settings"])
            #expect(bracket.names("deployments.apps") == ["app-a/web", "other/web"])

            let literal = try await archive(client) { $0.includedNamespaces = ["app-b"] }
            #expect(literal.names("namespaces") == ["app-b"])
            #expect(literal.names("configmaps") == ["app-b/settings"], "app-b/going is being deleted")
        }
    }

    @Test func oldResourceFiltersAndClusterScopedDefaults() async throws {
        try await withFixture { client, fixture in
            let onlyConfig = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includedResources = ["configmaps", "secret"]
            }
            #expect(Set(onlyConfig.itemLocations.map(\.groupResource)) == ["configmaps", "secrets"])

            let excluding = try await archive(client) { $0.excludedResources = ["secrets", "deploy"] }
            #expect(excluding.names("secrets").isEmpty)
            #expect(excluding.names("deployments.apps").isEmpty)
            #expect(excluding.names("configmaps").count == 4)
            #expect(
                excluding.names("storageclasses.storage.k8s.io").contains("fast"),
                "all namespaces: cluster-scoped types included"
            )

            // includeClusterResources nil with a namespace subset: only related cluster-scoped items.
            let auto = try await archive(client) { $0.includedNamespaces = ["app-a"] }
            #expect(auto.names("namespaces") == ["app-a"])
            #expect(auto.names("persistentvolumes") == [fixture.volumeName])
            #expect(auto.names("priorityclasses.scheduling.k8s.io") == ["high"])
            #expect(auto.names("clusterrolebindings.rbac.authorization.k8s.io") == ["robot-binding"])
            #expect(auto.names("clusterroles.rbac.authorization.k8s.io") == ["robot-role"])
            #expect(auto.names(Self.crds) == ["widgets.example.com"])
            #expect(auto.names("storageclasses.storage.k8s.io").isEmpty)
            #expect(auto.names("nodes").isEmpty)

            let withCluster = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includeClusterResources = true
            }
            #expect(withCluster.names("storageclasses.storage.k8s.io").isSuperset(of: ["fast", "sandbox"]))
            #expect(
                withCluster.names("clusterroles.rbac.authorization.k8s.io").isSuperset(of: [
                    "robot-role", "unrelated-role",
                ])
            )
            #expect(withCluster.names("nodes") == ["sandbox-node-1"])
            #expect(withCluster.names("configmaps") == ["app-a/settings", "app-a/both"])

            let noCluster = try await archive(client) { $0.includeClusterResources = false }
            #expect(clusterScopedTypes(noCluster).isEmpty, "got \(clusterScopedTypes(noCluster))")
            #expect(noCluster.names("persistentvolumeclaims") == ["app-a/data"])
            #expect(noCluster.names("configmaps").count == 4)

            let excludedPriority = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.excludedResources = ["priorityclasses.scheduling.k8s.io"]
            }
            // web-…: the Deployment's pod, made by the sandbox's controllers (or not yet).
            #expect(excludedPriority.names("pods").filter { !$0.hasPrefix("app-a/web-") } == ["app-a/db"])
            #expect(
                excludedPriority.names("priorityclasses.scheduling.k8s.io").isEmpty,
                "an explicit exclusion wins over the pod action"
            )
        }
    }

    /// Velero's `GlobalIncludesExcludes.ShouldExclude`: with `includeClusterResources` unset, a cluster-scoped
    /// type that non-empty `includedResources` do not name is excluded, for additional items (PVC → PV,
    /// pod → PriorityClass) and for the CRD of a custom resource too; a namespaced additional item must
    /// pass the resource filter.
    @Test func additionalClusterScopedItemsFollowTheResourceIncludes() async throws {
        try await withFixture { client, fixture in
            let podsOnly = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includedResources = ["pods"]
            }
            // web-…: the Deployment's pod, made by the sandbox's controllers (or not yet).
            #expect(podsOnly.names("pods").filter { !$0.hasPrefix("app-a/web-") } == ["app-a/db"])
            #expect(podsOnly.names("persistentvolumeclaims").isEmpty)
            #expect(podsOnly.names("namespaces").isEmpty)
            #expect(podsOnly.names("priorityclasses.scheduling.k8s.io").isEmpty)

            let withClaims = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includedResources = ["pods", "pvc"]
            }
            #expect(withClaims.names("persistentvolumeclaims") == ["app-a/data"])
            #expect(withClaims.names("persistentvolumes").isEmpty)

            let withVolumes = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includedResources = ["pods", "pvc", "pv", "priorityclasses"]
            }
            #expect(withVolumes.names("persistentvolumes") == [fixture.volumeName])
            #expect(withVolumes.names("priorityclasses.scheduling.k8s.io") == ["high"])

            let widgetsOnly = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includedResources = ["widgets.example.com"]
            }
            #expect(widgetsOnly.names("widgets.example.com") == ["app-a/w1"])
            #expect(widgetsOnly.names(Self.crds).isEmpty)

            let widgetsAndCRDs = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includedResources = ["widgets.example.com", "customresourcedefinitions"]
            }
            #expect(widgetsAndCRDs.names(Self.crds) == ["widgets.example.com"])
        }
    }

    @Test func scopedFilters() async throws {
        try await withFixture { client, fixture in
            let configOnly = try await archive(client) { $0.includedNamespaceScopedResources = ["configmaps"] }
            #expect(Set(configOnly.itemLocations.map(\.groupResource)) == ["configmaps", "namespaces"])
            #expect(configOnly.names("namespaces").isSuperset(of: ["app-a", "app-b", "other", "default"]))

            let storage = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includedClusterScopedResources = ["storageclasses"]
            }
            #expect(storage.names("storageclasses.storage.k8s.io") == ["fast", "sandbox"])
            #expect(storage.names("persistentvolumes") == [fixture.volumeName])
            #expect(storage.names("nodes").isEmpty)
            #expect(storage.names("namespaces") == ["app-a"])

            let noVolumes = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.excludedClusterScopedResources = ["persistentvolumes"]
            }
            #expect(noVolumes.names("persistentvolumeclaims") == ["app-a/data"])
            #expect(noVolumes.names("persistentvolumes").isEmpty)
            #expect(noVolumes.names("clusterrolebindings.rbac.authorization.k8s.io") == ["robot-binding"])

            let clusterOnly = try await archive(client) {
                $0.includedClusterScopedResources = ["*"]
                $0.excludedNamespaceScopedResources = ["*"]
            }
            #expect(clusterOnly.itemLocations.allSatisfy { $0.namespace == nil })
            #expect(clusterOnly.names("storageclasses.storage.k8s.io").contains("fast"))
            #expect(clusterOnly.names("nodes") == ["sandbox-node-1"])

            let secretsOnly = try await archive(client) {
                $0.includedNamespaceScopedResources = ["secrets"]
                $0.excludedClusterScopedResources = ["*"]
            }
            #expect(Set(secretsOnly.itemLocations.map(\.groupResource)) == ["secrets"])
        }
    }

    @Test func labelSelectorsOrSelectorsAndItemChecks() async throws {
        try await withFixture { client, fixture in
            let everything = try await archive(client) { _ in }
            #expect(
                everything.names("configmaps") == ["app-a/settings", "app-a/both", "app-b/settings", "other/settings"]
            )
            #expect(!everything.keys.contains("configmaps app-a/skip-me"), "velero.io/exclude-from-backup=true")
            #expect(!everything.keys.contains("configmaps app-b/going"), "objects being deleted are skipped")

            let web = try await archive(client) { $0.labelSelector = LabelSelectorSpec(matchLabels: ["app": "web"]) }
            #expect(web.names("configmaps") == ["app-a/settings", "app-a/both", "app-b/settings", "other/settings"])
            #expect(web.names("secrets").isEmpty)
            #expect(web.names("deployments.apps").count == 3)
            #expect(web.names("widgets.example.com") == ["app-a/w1"])
            // All namespaces and includeClusterResources unset: the CRD type is included, so CRDs are listed like any
            // type (with the selector) and Velero's backupCRD step does not run.
            #expect(web.names(Self.crds).isEmpty, "unlabelled CRDs are not selected")
            #expect(
                web.names("storageclasses.storage.k8s.io") == ["fast"],
                "cluster-scoped items are selected by label too"
            )
            #expect(web.names("namespaces") == ["app-a", "app-b", "other"], "namespaces with selected items only")

            let team = try await archive(client) { $0.labelSelector = LabelSelectorSpec(matchLabels: ["team": "a"]) }
            #expect(team.keys == ["namespaces app-a"], "a namespace matching the selector is kept; got \(team.keys)")

            let expression = try await archive(client) {
                $0.labelSelector = LabelSelectorSpec(matchExpressions: [
                    .init(key: "app", operator: "In", values: ["web"]), .init(key: "tier", operator: "DoesNotExist"),
                ])
            }
            #expect(expression.names("configmaps") == ["app-a/settings", "app-b/settings", "other/settings"])

            let or = try await archive(client) {
                $0.orLabelSelectors = [
                    LabelSelectorSpec(matchLabels: ["app": "db"]), LabelSelectorSpec(matchLabels: ["tier": "db"]),
                ]
            }
            #expect(or.names("configmaps") == ["app-a/both"])
            #expect(or.names("secrets").count == 3)
            #expect(or.names("pods") == ["app-a/db"])
            #expect(or.names("persistentvolumes") == [fixture.volumeName])
            let bothPath = TarballPaths.item(groupResource: "configmaps", namespace: "app-a", name: "both")
            #expect(
                or.entries.filter { $0.name == bothPath }.count == 1,
                "an item matching two OR selectors is written once"
            )
        }
    }

    @Test func itemActionsAndCustomResourceDefinitions() async throws {
        try await withFixture { client, fixture in
            let live = try await client.get(BackupFixture.pvcs, namespace: "app-a", name: "data")
            try #require(live["spec"]?["selector"] != nil, "the sandbox keeps the PVC's selector")
            #expect(live.labels["velero.io/restore-name"] == "old-restore")

            let result = try await archive(client) { $0.includedNamespaces = ["app-a"] }
            let pvc = try #require(try result.object("persistentvolumeclaims", namespace: "app-a", name: "data"))
            #expect(pvc["spec"]?["selector"] == nil, "PVC action clears the selector")
            #expect(pvc["spec"]?["volumeName"]?.stringValue == fixture.volumeName)
            #expect(pvc.labels["velero.io/restore-name"] == nil, "PVC action drops stale Velero labels")
            #expect(pvc.labels["app"] == "db")
            let pv = try #require(try result.object("persistentvolumes", namespace: nil, name: fixture.volumeName))
            #expect(pv["spec"]?["claimRef"]?["name"]?.stringValue == "data")
            #expect(result.names("clusterrolebindings.rbac.authorization.k8s.io") == ["robot-binding"])
            #expect(result.names("clusterroles.rbac.authorization.k8s.io") == ["robot-role"])

            let noCluster = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.includeClusterResources = false
            }
            #expect(noCluster.names("widgets.example.com") == ["app-a/w1"])
            #expect(noCluster.names(Self.crds).isEmpty)

            let crdExcluded = try await archive(client) {
                $0.includedNamespaces = ["app-a"]
                $0.excludedResources = ["crd"]
            }
            #expect(crdExcluded.names("widgets.example.com") == ["app-a/w1"])
            #expect(crdExcluded.names(Self.crds).isEmpty)
        }
    }

    @Test func invalidSpecsAreRejectedBeforeAnythingIsWritten() async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("app-a")
            var unknown = BackupSpec()
            unknown.includedResources = ["configmaps", "flurbles"]
            var badSelector = BackupSpec()
            badSelector.labelSelector = LabelSelectorSpec(matchExpressions: [
                .init(key: "app", operator: "Sometimes", values: ["x"])
            ])
            var mixed = BackupSpec()
            mixed.includedResources = ["configmaps"]
            mixed.includedClusterScopedResources = ["storageclasses"]
            var badPattern = BackupSpec()
            badPattern.includedNamespaces = ["app-{a,b}"]
            var starExcluded = BackupSpec()
            starExcluded.excludedResources = ["*"]
            var bothSelectors = BackupSpec()
            bothSelectors.labelSelector = LabelSelectorSpec(matchLabels: ["a": "b"])
            bothSelectors.orLabelSelectors = [LabelSelectorSpec(matchLabels: ["c": "d"])]

            let cases: [(BackupSpec, String)] = [
                (unknown, "flurbles"), (badSelector, "Sometimes"), (mixed, "cannot be used together"),
                (badPattern, "app-{a,b}"), (starExcluded, "excludes list cannot contain '*'"),
                (bothSelectors, "only one can be specified"),
            ]
            for (spec, expected) in cases {
                let memory = MemoryObjectStore()
                let store = BackupStore(store: memory, prefix: "p")
                let runner = BackupRunner(
                    client: client,
                    store: store,
                    configuration: .init(recordInCluster: false),
                    logger: .quiet
                )
                let error = await #expect(throws: BackupEngineError.self) {
                    try await runner.run(Backup(metadata: ObjectMeta(name: "bad"), spec: spec))
                }
                #expect(error?.code == .invalidSpec)
                #expect(error?.message.contains(expected) == true, "\(error?.message ?? "") should name \(expected)")
                #expect(memory.count == 0, "nothing is written for an invalid spec")
            }
            let memory = MemoryObjectStore()
            let runner = BackupRunner(client: client, store: BackupStore(store: memory, prefix: nil), logger: .quiet)
            let badName = await #expect(throws: BackupEngineError.self) {
                try await runner.run(Backup(metadata: ObjectMeta(name: "Bad_Name"), spec: BackupSpec()))
            }
            #expect(badName?.message.contains("Bad_Name") == true)
            #expect(memory.count == 0)
        }
    }
}
