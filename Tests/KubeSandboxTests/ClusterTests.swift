import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// Nodes, the scheduler, the provisioner and the kubelet-like volume paths.
struct ClusterTests {
    private func node(_ name: String, labels: JSONValue, taints: JSONValue = []) -> JSONValue {
        [
            "metadata": ["name": .string(name), "labels": labels], "spec": ["taints": taints],
            "status": ["conditions": [["type": "Ready", "status": "True"]]],
        ]
    }

    @Test func schedulerHonoursSelectorsAffinityAndTaints() {
        let nodes = [
            node("a", labels: ["zone": "z1", "size": "4"]),
            node("b", labels: ["zone": "z2", "size": "16"]),
            node(
                "c",
                labels: ["zone": "z3", "size": "8"],
                taints: [["key": "dedicated", "value": "db", "effect": "NoSchedule"]]
            ),
        ]
        let scheduler = Scheduler(nodes: nodes)
        func pod(_ spec: JSONValue) -> JSONValue { ["spec": spec] }
        #expect(scheduler.select(for: pod(["nodeSelector": ["zone": "z2"]]), podCounts: [:]) == "b")
        let gt: JSONValue = [
            "affinity": [
                "nodeAffinity": [
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        "nodeSelectorTerms": [
                            ["matchExpressions": [["key": "size", "operator": "Gt", "values": ["5"]]]]
                        ]
                    ]
                ]
            ]
        ]
        #expect(scheduler.select(for: pod(gt), podCounts: [:]) == "b")
        let notIn: JSONValue = [
            "affinity": [
                "nodeAffinity": [
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        "nodeSelectorTerms": [
                            ["matchExpressions": [["key": "zone", "operator": "NotIn", "values": ["z1", "z2"]]]]
                        ]
                    ]
                ]
            ]
        ]
        #expect(scheduler.select(for: pod(notIn), podCounts: [:]) == nil)
        var tolerated = notIn
        tolerated["tolerations"] = [["key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"]]
        #expect(scheduler.select(for: pod(tolerated), podCounts: [:]) == "c")
        let lt: JSONValue = [
            "affinity": [
                "nodeAffinity": [
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        "nodeSelectorTerms": [
                            [
                                "matchExpressions": [
                                    ["key": "size", "operator": "Lt", "values": ["10"]],
                                    ["key": "zone", "operator": "Exists"],
                                ]
                            ]
                        ]
                    ]
                ]
            ]
        ]
        #expect(scheduler.select(for: pod(lt), podCounts: [:]) == "a")
        let missing: JSONValue = [
            "affinity": [
                "nodeAffinity": [
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        "nodeSelectorTerms": [["matchExpressions": [["key": "gpu", "operator": "DoesNotExist"]]]]
                    ]
                ]
            ]
        ]
        #expect(scheduler.select(for: pod(missing), podCounts: ["a": 3, "b": 1]) == "b")
    }

    @Test func podsRunWithProvisionedVolumes() async throws {
        try await withTestSandbox(nodes: 3) { sandbox, api in
            let nodes = await api.request("GET", "/api/v1/nodes").json["items"]?.arrayValue ?? []
            #expect(nodes.count == 3)
            let zones = Set(nodes.compactMap { $0["metadata"]?["labels"]?["topology.kubernetes.io/zone"]?.stringValue })
            #expect(zones.count == 3)
            #expect(nodes.allSatisfy { $0["metadata"]?["labels"]?["kubernetes.io/os"] == "linux" })
            try await api.namespace("apps")
            try await api.create(
                "/api/v1/namespaces/apps/persistentvolumeclaims",
                [
                    "metadata": ["name": "data"],
                    "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
                ]
            )
            try await api.settleControllers()
            #expect(
                await api.request("GET", "/api/v1/namespaces/apps/persistentvolumeclaims/data").json["status"]?["phase"]
                    == "Pending"
            )
            let pod = try await api.create(
                "/api/v1/namespaces/apps/pods",
                [
                    "metadata": ["name": "app"],
                    "spec": [
                        "nodeSelector": ["kubernetes.io/hostname": "sandbox-node-2"],
                        "containers": [["name": "app", "image": "busybox"]],
                        "volumes": [
                            ["name": "data", "persistentVolumeClaim": ["claimName": "data"]],
                            ["name": "scratch", "emptyDir": [:]],
                        ],
                    ],
                ]
            )
            try await waitUntil("pod app Running") {
                await api.request("GET", "/api/v1/namespaces/apps/pods/app").json["status"]?["phase"] == "Running"
            }
            let pvc = await api.request("GET", "/api/v1/namespaces/apps/persistentvolumeclaims/data").json
            #expect(pvc["status"]?["phase"] == "Bound")
            #expect(pvc["metadata"]?["annotations"]?["volume.kubernetes.io/selected-node"] == "sandbox-node-2")
            let volume = try #require(pvc["spec"]?["volumeName"]?.stringValue)
            let uid = try #require(pod["metadata"]?["uid"]?.stringValue)
            let mount = sandbox.volumesRoot.appendingPathComponent(
                "nodes/sandbox-node-2/pods/\(uid)/volumes/kubernetes.io~csi/\(volume)/mount"
            )
            try await waitUntil("the mount path of pod app") {
                FileManager.default.fileExists(atPath: mount.path)
            }
            var isDirectory: ObjCBool = false
            let scratch = sandbox.volumesRoot.appendingPathComponent(
                "nodes/sandbox-node-2/pods/\(uid)/volumes/kubernetes.io~empty-dir/scratch"
            )
            #expect(
                FileManager.default.fileExists(atPath: scratch.path, isDirectory: &isDirectory) && isDirectory.boolValue
            )
            try "hello".write(to: mount.appendingPathComponent("file.txt"), atomically: true, encoding: .utf8)
            let direct = sandbox.volumesRoot.appendingPathComponent("volumes/\(volume)/file.txt")
            #expect((try? String(contentsOf: direct, encoding: .utf8)) == "hello")
            let running = await api.request("GET", "/api/v1/namespaces/apps/pods?fieldSelector=status.phase%3DRunning")
            #expect(running.json["items"]?.arrayValue?.count == 1)
            try await api.create(
                "/api/v1/namespaces/apps/pods",
                [
                    "metadata": ["name": "waits"],
                    "spec": [
                        "containers": [["name": "c", "image": "x"]],
                        "volumes": [["name": "d", "persistentVolumeClaim": ["claimName": "missing"]]],
                    ],
                ]
            )
            try await api.settleControllers()
            #expect(
                await api.request("GET", "/api/v1/namespaces/apps/pods/waits").json["status"]?["phase"] == "Pending"
            )
        }
    }

    /// The PV controller's binding rules the restore relies on: a claim with a selector is never provisioned
    /// and binds to an Available volume with matching labels; a volume whose claimRef names a claim (without
    /// a UID, as a restore or Velero's rebind leaves it) binds that claim; a claim asking for a volume bound to
    /// another claim waits.
    @Test func claimsWithSelectorsAndPreBoundVolumesBindAsThePVControllerBindsThem() async throws {
        try await withTestSandbox(nodes: 1) { _, api in
            try await api.namespace("apps")
            func claim(_ name: String, _ extra: JSONValue) -> JSONValue {
                var spec: JSONValue = [
                    "accessModes": ["ReadWriteOnce"], "storageClassName": "sandbox",
                    "resources": ["requests": ["storage": "1Gi"]],
                ]
                for (k, v) in extra.objectValue ?? [:] { spec[k] = v }
                return ["metadata": ["name": .string(name)], "spec": spec]
            }
            func phase(_ path: String) async -> JSONValue? { await api.request("GET", path).json["status"]?["phase"] }
            try await api.create(
                "/api/v1/namespaces/apps/persistentvolumeclaims",
                claim("picky", ["selector": ["matchLabels": ["disk": "ssd"]]])
            )
            try await api.settleControllers()
            #expect(await phase("/api/v1/namespaces/apps/persistentvolumeclaims/picky") == "Pending")
            #expect(await api.request("GET", "/api/v1/persistentvolumes").json["items"]?.arrayValue?.isEmpty == true)

            func volume(_ name: String, labels: JSONValue = [:], claimRef: JSONValue? = nil) -> JSONValue {
                var spec: JSONValue = [
                    "capacity": ["storage": "2Gi"], "accessModes": ["ReadWriteOnce"], "storageClassName": "sandbox",
                    "hostPath": ["path": .string("/tmp/\(name)")],
                ]
                if let claimRef { spec["claimRef"] = claimRef }
                return ["metadata": ["name": .string(name), "labels": labels], "spec": spec]
            }
            try await api.create("/api/v1/persistentvolumes", volume("hdd", labels: ["disk": "hdd"]))
            try await api.create("/api/v1/persistentvolumes", volume("ssd", labels: ["disk": "ssd"]))
            try await waitUntil("claim picky Bound") {
                await phase("/api/v1/namespaces/apps/persistentvolumeclaims/picky") == "Bound"
            }
            let picky = await api.request("GET", "/api/v1/namespaces/apps/persistentvolumeclaims/picky").json
            #expect(picky["spec"]?["volumeName"] == "ssd")
            let ssd = await api.request("GET", "/api/v1/persistentvolumes/ssd").json
            #expect(ssd["spec"]?["claimRef"]?["uid"] == picky["metadata"]?["uid"])
            #expect(ssd["status"]?["phase"] == "Bound")
            #expect(await phase("/api/v1/persistentvolumes/hdd") != "Bound")

            // Reserved for a claim by name: the claim (selector or not) gets it.
            try await api.create(
                "/api/v1/namespaces/apps/persistentvolumeclaims",
                claim("reserved", ["selector": ["matchLabels": ["x": "y"]]])
            )
            try await api.create(
                "/api/v1/persistentvolumes",
                volume("kept", claimRef: ["kind": "PersistentVolumeClaim", "namespace": "apps", "name": "reserved"])
            )
            try await waitUntil("claim reserved Bound") {
                await phase("/api/v1/namespaces/apps/persistentvolumeclaims/reserved") == "Bound"
            }
            #expect(
                await api.request("GET", "/api/v1/namespaces/apps/persistentvolumeclaims/reserved").json["spec"]?[
                    "volumeName"
                ] == "kept"
            )

            // A claim naming a volume bound to another claim waits.
            try await api.create(
                "/api/v1/namespaces/apps/persistentvolumeclaims",
                claim("thief", ["volumeName": "ssd"])
            )
            try await api.settleControllers()
            #expect(await phase("/api/v1/namespaces/apps/persistentvolumeclaims/thief") == "Pending")
        }
    }

    /// A deleted VolumeSnapshot takes its bound content along when the content's deletionPolicy is Delete; a
    /// Retain content, or one that points at another snapshot, stays.
    @Test func deletingASnapshotDeletesItsContentOnlyWithDeletionPolicyDelete() async throws {
        try await withTestSandbox(nodes: 1) { _, api in
            try await api.namespace("apps")
            let contents = "/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents"
            let snapshots = "/apis/snapshot.storage.k8s.io/v1/namespaces/apps/volumesnapshots"
            func content(_ name: String, policy: String, snapshot: String) -> JSONValue {
                [
                    "metadata": ["name": .string(name)],
                    "spec": [
                        "deletionPolicy": .string(policy), "driver": "sandbox.csi.lifeboat.io",
                        "source": ["snapshotHandle": .string("h-\(name)")],
                        "volumeSnapshotRef": ["name": .string(snapshot), "namespace": "apps"],
                    ],
                ]
            }
            func snapshot(_ name: String, content: String) -> JSONValue {
                [
                    "metadata": ["name": .string(name)],
                    "spec": ["source": ["volumeSnapshotContentName": .string(content)]],
                ]
            }
            try await api.create(contents, content("c-delete", policy: "Delete", snapshot: "s-delete"))
            try await api.create(contents, content("c-retain", policy: "Retain", snapshot: "s-retain"))
            try await api.create(contents, content("c-other", policy: "Delete", snapshot: "someone-else"))
            for (s, c) in [("s-delete", "c-delete"), ("s-retain", "c-retain"), ("s-wrong", "c-other")] {
                try await api.create(snapshots, snapshot(s, content: c))
            }
            for s in ["s-delete", "s-retain", "s-wrong"] { _ = await api.request("DELETE", "\(snapshots)/\(s)") }
            try await waitUntil("content c-delete deleted") {
                await api.request("GET", "\(contents)/c-delete").status == 404
            }
            try await api.settleControllers()
            #expect(await api.request("GET", "\(contents)/c-retain").status == 200)
            #expect(await api.request("GET", "\(contents)/c-other").status == 200)
        }
    }

    @Test func demoSeed() async throws {
        try await withTestSandbox(seed: .demo) { sandbox, api in
            for path in [
                "/apis/apps/v1/namespaces/demo/deployments/web", "/api/v1/namespaces/demo/services/web",
                "/api/v1/namespaces/demo/configmaps/web-config", "/api/v1/namespaces/demo/secrets/web-credentials",
                "/api/v1/namespaces/demo/serviceaccounts/web",
                "/apis/rbac.authorization.k8s.io/v1/namespaces/demo/rolebindings/web-view",
                "/apis/demo.lifeboat.io/v1/namespaces/demo/widgets/blue-widget",
            ] {
                #expect(await api.request("GET", path).status == 200, "\(path)")
            }
            try await waitUntil("the demo's first pod Running") {
                let pods = await api.request("GET", "/api/v1/namespaces/demo/pods").json["items"]?.arrayValue ?? []
                return pods.first?["status"]?["phase"] == "Running"
            }
            let files = try FileManager.default.contentsOfDirectory(
                atPath: sandbox.volumesRoot.appendingPathComponent("volumes/\(DemoSeed.volumeName)").path
            )
            #expect(files.contains("notes.txt"))
            try await waitUntil("the demo database's two replicas Ready, each with its claim Bound") {
                let set = await api.request("GET", "/apis/apps/v1/namespaces/demo/statefulsets/db").json
                let claims = await api.request("GET", "/api/v1/namespaces/demo/persistentvolumeclaims").json
                let bound = Set(
                    (claims["items"]?.arrayValue ?? []).filter { $0["status"]?["phase"] == "Bound" }
                        .compactMap { $0["metadata"]?["name"]?.stringValue }
                )
                return set["status"]?["readyReplicas"] == 2 && bound == ["web-data", "data-db-0", "data-db-1"]
            }
            // Every container the demo makes runs a command of its own (the sandbox has no images to start).
            let pods = await api.request("GET", "/api/v1/namespaces/demo/pods").json["items"]?.arrayValue ?? []
            #expect(pods.count == 3)
            for pod in pods {
                let name = pod["metadata"]?["name"]?.stringValue ?? ""
                #expect(pod["spec"]?["containers"]?[0]?["command"]?[0] == "sh", "\(name)")
            }
        }
    }
}
