import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import NodeAgent

/// The cache PVC of DataDownloads against a sandbox (Velero's `generic_restore.go` and `cache_volume.go`):
/// created and mounted when `cachePVC` is configured and the snapshot size reaches the threshold, deleted
/// with the other exposed objects.
struct DataDownloadCacheTests {
    typealias Cluster = NodeAgentControllerTests
    static let cacheJSON = #"{"cachePVC":{"storageClass":"standard","residentThresholdInMB":64}}"#

    /// Creates the target namespace and PVC (class "standard") and a DataDownload restoring into it.
    static func createDownload(_ client: KubeClient, _ name: String, snapshotSize: Int64) async throws {
        if try await !Cluster.exists(client, .namespaces, "restored", namespace: nil) {
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "restored"))
        }
        var target = KubeObject(
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            namespace: "restored",
            name: "\(name)-target"
        )
        // As Velero's PVC restore action leaves it for a data mover restore: a selector no volume matches, so
        // nothing provisions it; the DataDownload's volume is bound to it at the end.
        target["spec"] = [
            "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
            "resources": ["requests": ["storage": "1Gi"]],
            "selector": ["matchLabels": ["velero.io/dynamic-pv-restore": .string("restored.\(name)-target.x7k2p")]],
        ]
        _ = try await client.create(NodeAgentController.persistentVolumeClaims, target)
        var dd = KubeObject(
            apiVersion: "velero.io/v2alpha1",
            kind: "DataDownload",
            namespace: Cluster.namespace,
            name: name
        )
        dd.annotations = [SimulatedDataPath.durationAnnotation: "0.2"]
        dd["spec"] = [
            "targetVolume": ["pvc": .string("\(name)-target"), "pv": "", "namespace": "restored"],
            "backupStorageLocation": "default", "datamover": "velero", "snapshotID": "snap-1", "sourceNamespace": "app",
            "operationTimeout": "10m0s", "snapshotSize": .int(snapshotSize),
        ]
        _ = try await client.create(LoadKind.dataDownload.gvr, dd)
    }

    /// Accepts and exposes the DataDownload with one reconcile of `agent`.
    static func acceptOnce(_ agent: NodeAgentController, _ client: KubeClient, _ name: String) async throws {
        try await Cluster.reconcileOnce(agent, client, .dataDownload, name)
        #expect(try await Cluster.load(client, .dataDownload, name)?.phase == .accepted)
    }

    @Test(.timeLimit(.minutes(3)))
    func aDownloadReachingTheThresholdGetsACacheVolumeThatIsCleanedUp() async throws {
        try await Cluster.withCluster { _, admin in
            try await Self.createDownload(admin, "dd-big", snapshotSize: 64 << 20)
            let agent = try Cluster.controller(
                admin,
                node: "sandbox-node-1",
                json: Self.cacheJSON,
                kinds: [.dataDownload],
                cacheLimitBytes: 3 << 30
            )
            try await Self.acceptOnce(agent, admin, "dd-big")

            let cache = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: Cluster.namespace,
                name: "dd-big-cache"
            )
            #expect(cache["spec"]?["storageClassName"] == "standard")
            #expect(cache["spec"]?["accessModes"] == ["ReadWriteOnce"])
            // 3 GiB × 1.2 = 3.6 GiB, rounded up to 4 GiB.
            #expect(cache["spec"]?["resources"]?["requests"]?["storage"] == "4Gi")
            #expect(cache["metadata"]?["ownerReferences"]?[0]?["kind"] == "DataDownload")
            let pod = try await admin.get(.pods, namespace: Cluster.namespace, name: "dd-big")
            let container = try #require(pod["spec"]?["containers"]?[0])
            #expect(container["args"]?.arrayValue?.contains("--cache-volume-path=/cachedir") == true)
            #expect(
                container["volumeMounts"]?.arrayValue?.contains(["name": "cachedir", "mountPath": "/cachedir"]) == true
            )
            #expect(
                pod["spec"]?["volumes"]?.arrayValue?.contains([
                    "name": "cachedir", "persistentVolumeClaim": ["claimName": "dd-big-cache"],
                ])
                    == true
            )

            try await Cluster.running(agent) {
                try await waitUntil("dd-big Completed") {
                    try await Cluster.load(admin, .dataDownload, "dd-big")?.phase == .completed
                }
                try await Cluster.waitForCleanUp(admin, "dd-big", kind: .dataDownload)
            }
        }
    }

    /// (snapshot size, configuration): below the threshold, and without `cachePVC`.
    @Test(
        .timeLimit(.minutes(3)),
        arguments: [(Int64(64 << 20) - 1, DataDownloadCacheTests.cacheJSON), (Int64(1) << 30, "{}")]
    )
    func noCacheVolumeBelowTheThresholdOrWithoutConfiguration(snapshotSize: Int64, json: String) async throws {
        try await Cluster.withCluster { _, admin in
            try await Self.createDownload(admin, "dd-small", snapshotSize: snapshotSize)
            let agent = try Cluster.controller(admin, node: "sandbox-node-1", json: json, kinds: [.dataDownload])
            try await Self.acceptOnce(agent, admin, "dd-small")
            #expect(try await Cluster.exists(admin, NodeAgentController.persistentVolumeClaims, "dd-small"))
            #expect(try await !Cluster.exists(admin, NodeAgentController.persistentVolumeClaims, "dd-small-cache"))
            let pod = try await admin.get(.pods, namespace: Cluster.namespace, name: "dd-small")
            let container = try #require(pod["spec"]?["containers"]?[0])
            #expect(container["args"]?.arrayValue?.contains("--cache-volume-path=") == true)
            #expect(pod["spec"]?["volumes"]?.arrayValue?.count == 1)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aCompletedDownloadHandsItsVolumeToTheTargetPVC() async throws {
        try await Cluster.withCluster { _, admin in
            try await Self.createDownload(admin, "dd-rebind", snapshotSize: 0)
            let agent = try Cluster.controller(admin, node: "sandbox-node-1", kinds: [.dataDownload])
            try await Self.acceptOnce(agent, admin, "dd-rebind")
            var restoreVolume = ""
            try await waitUntil("the restore PVC bound") {
                let claim = try await admin.get(
                    NodeAgentController.persistentVolumeClaims,
                    namespace: Cluster.namespace,
                    name: "dd-rebind"
                )
                restoreVolume = claim["spec"]?["volumeName"]?.stringValue ?? ""
                return claim["status"]?["phase"]?.stringValue == "Bound"
            }
            // The target waits: its selector keeps it from being provisioned.
            let pending = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: "restored",
                name: "dd-rebind-target"
            )
            #expect(pending["status"]?["phase"]?.stringValue != "Bound")

            try await Cluster.running(agent) {
                try await waitUntil("dd-rebind Completed") {
                    try await Cluster.load(admin, .dataDownload, "dd-rebind")?.phase == .completed
                }
                try await Cluster.waitForCleanUp(admin, "dd-rebind", kind: .dataDownload)
            }
            // The volume the data path filled is the target's now, with its reclaim policy back and the
            // selector's label; the restore PVC and pod are gone.
            let target = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: "restored",
                name: "dd-rebind-target"
            )
            #expect(target["status"]?["phase"] == "Bound")
            #expect(target["spec"]?["volumeName"]?.stringValue == restoreVolume)
            let volume = try await admin.get(NodeAgentController.persistentVolumes, name: restoreVolume)
            #expect(volume["spec"]?["claimRef"]?["name"] == "dd-rebind-target")
            #expect(volume["spec"]?["claimRef"]?["namespace"] == "restored")
            #expect(volume["spec"]?["claimRef"]?["uid"]?.stringValue == target.uid)
            #expect(volume["spec"]?["persistentVolumeReclaimPolicy"] == "Delete")
            #expect(volume["status"]?["phase"] == "Bound")
            #expect(volume.labels["velero.io/dynamic-pv-restore"] == "restored.dd-rebind-target.x7k2p")
            #expect(try await !Cluster.exists(admin, NodeAgentController.persistentVolumeClaims, "dd-rebind"))
            #expect(try await !Cluster.exists(admin, .pods, "dd-rebind"))
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aDownloadIntoABoundTargetPVCFails() async throws {
        try await Cluster.withCluster { _, admin in
            try await Self.createDownload(admin, "dd-bound", snapshotSize: 0)
            // Someone bound the target first: restoring into it would take its volume away.
            let target = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: "restored",
                name: "dd-bound-target"
            )
            var unselected = target
            unselected["spec"]?["selector"] = nil
            _ = try await admin.delete(
                NodeAgentController.persistentVolumeClaims,
                namespace: "restored",
                name: "dd-bound-target"
            )
            try await waitUntil("the target PVC gone") {
                try await !Cluster.exists(
                    admin,
                    NodeAgentController.persistentVolumeClaims,
                    "dd-bound-target",
                    namespace: "restored"
                )
            }
            var fresh = KubeObject(
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                namespace: "restored",
                name: "dd-bound-target"
            )
            fresh["spec"] = unselected["spec"]
            _ = try await admin.create(NodeAgentController.persistentVolumeClaims, fresh)
            try await waitUntil("the target PVC bound") {
                try await admin.get(
                    NodeAgentController.persistentVolumeClaims,
                    namespace: "restored",
                    name: "dd-bound-target"
                )["status"]?[
                    "phase"
                ] == "Bound"
            }
            let agent = try Cluster.controller(admin, node: "sandbox-node-1", kinds: [.dataDownload])
            try await Cluster.reconcileOnce(agent, admin, .dataDownload, "dd-bound")
            let failed = try #require(try await Cluster.load(admin, .dataDownload, "dd-bound"))
            #expect(failed.phase == .failed)
            #expect(
                failed.object["status"]?["message"]?.stringValue
                    == "error to expose restore: Target PVC restored/dd-bound-target has already been bound, abort"
            )
            #expect(try await !Cluster.exists(admin, .pods, "dd-bound"))
        }
    }
}
