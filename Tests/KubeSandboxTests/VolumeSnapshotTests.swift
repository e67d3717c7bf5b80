import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// CSI volume snapshots in the sandbox: the snapshot controller's and the CSI snapshotter's parts for the
/// sandbox's driver (point-in-time copies of volume folders, restores, deletion policies, errors).
struct VolumeSnapshotTests {
    static let snapshots = "/apis/snapshot.storage.k8s.io/v1/namespaces/app/volumesnapshots"
    static let contents = "/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents"

    /// Creates claim `name` in `app` and a pod using it; returns the bound volume's folder.
    static func boundClaim(
        _ api: TestAPI,
        _ sandbox: Sandbox,
        _ name: String,
        spec: JSONObject = [:]
    ) async throws
        -> URL
    {
        var claimSpec: JSONObject = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]
        claimSpec.merge(spec) { _, new in new }
        try await api.create(
            "/api/v1/namespaces/app/persistentvolumeclaims",
            ["metadata": ["name": .string(name)], "spec": .object(claimSpec)]
        )
        try await usePod(api, claim: name)
        return try await volumeFolder(api, sandbox, name)
    }

    static func usePod(_ api: TestAPI, claim: String) async throws {
        try await api.create(
            "/api/v1/namespaces/app/pods",
            [
                "metadata": ["name": .string("use-\(claim)")],
                "spec": [
                    "containers": [["name": "app", "image": "busybox"]],
                    "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": .string(claim)]]],
                ],
            ]
        )
    }

    static func volumeFolder(_ api: TestAPI, _ sandbox: Sandbox, _ claim: String) async throws -> URL {
        let path = "/api/v1/namespaces/app/persistentvolumeclaims/\(claim)"
        try await waitUntil("claim \(claim) Bound") {
            await api.request("GET", path).json["status"]?["phase"] == "Bound"
        }
        let volume = try #require(await api.request("GET", path).json["spec"]?["volumeName"]?.stringValue)
        return sandbox.volumesRoot.appendingPathComponent("volumes/\(volume)")
    }

    static func snapshot(_ api: TestAPI, _ name: String, claim: String, className: String? = nil) async throws {
        var spec: JSONObject = ["source": ["persistentVolumeClaimName": .string(claim)]]
        if let className { spec["volumeSnapshotClassName"] = .string(className) }
        try await api.create(snapshots, ["metadata": ["name": .string(name)], "spec": .object(spec)])
    }

    static func readySnapshot(_ api: TestAPI, _ name: String) async throws -> JSONValue {
        try await waitUntil("snapshot \(name) ready") {
            await api.request("GET", "\(snapshots)/\(name)").json["status"]?["readyToUse"] == true
        }
        return await api.request("GET", "\(snapshots)/\(name)").json
    }

    static func read(_ folder: URL, _ file: String) -> String? {
        try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
    }

    /// `a.txt` ("one"), `d/b.txt` ("deep", mode 0600) and `link` → `a.txt` in a volume folder.
    static func writeTree(_ volume: URL) throws {
        try "one".write(to: volume.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(
            at: volume.appendingPathComponent("d"),
            withIntermediateDirectories: true
        )
        try "deep".write(to: volume.appendingPathComponent("d/b.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: volume.path + "/d/b.txt")
        try FileManager.default.createSymbolicLink(atPath: volume.path + "/link", withDestinationPath: "a.txt")
    }

    /// Whether a copy holds ``writeTree(_:)``'s files, mode and link.
    static func copiedTree(_ copy: URL) -> Bool {
        let link = try? FileManager.default.destinationOfSymbolicLink(atPath: copy.path + "/link")
        let attributes = try? FileManager.default.attributesOfItem(atPath: copy.path + "/d/b.txt")
        let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue
        return read(copy, "a.txt") == "one" && read(copy, "d/b.txt") == "deep" && link == "a.txt" && mode == 0o600
    }

    @Test func snapshotIsAPointInTimeCopyThatRestoresAndGoesWithItsContent() async throws {
        try await withTestSandbox { sandbox, api in
            try await Self.snapshotIsAPointInTimeCopyThatRestoresAndGoesWithItsContentBody(sandbox, api)
        }
    }

    @Test func aClaimRestoringFromASnapshotWaitsUntilItIsReady() async throws {
        try await withTestSandbox { sandbox, api in
            try await Self.aClaimRestoringFromASnapshotWaitsUntilItIsReadyBody(sandbox, api)
        }
    }

    @Test func retainKeepsTheContentAndItsCopy() async throws {
        try await withTestSandbox { sandbox, api in try await Self.retainKeepsTheContentAndItsCopyBody(sandbox, api) }
    }

    @Test func aSnapshotOfAMissingOrUnboundClaimCarriesAnErrorUntilTheClaimBinds() async throws {
        try await withTestSandbox { sandbox, api in
            try await Self.aSnapshotOfAMissingOrUnboundClaimCarriesAnErrorUntilTheClaimBindsBody(sandbox, api)
        }
    }

    @Test func theDriverHasACSIDriverCSINodesAndADefaultSnapshotClass() async throws {
        try await withTemporaryDirectory(prefix: "sandbox-test") { directory in
            try await withTestSandbox(nodes: 2) { sandbox, api in
                let driver = await api.request(
                    "GET",
                    "/apis/storage.k8s.io/v1/csidrivers/\(ClusterController.provisioner)"
                ).json
                #expect(driver["spec"]?["attachRequired"] == false)
                let nodes = await api.request("GET", "/apis/storage.k8s.io/v1/csinodes").json["items"]?.arrayValue
                #expect(nodes?.count == 2)
                let node = await api.request("GET", "/apis/storage.k8s.io/v1/csinodes/sandbox-node-2").json
                #expect(node["spec"]?["drivers"]?[0]?["name"]?.stringValue == ClusterController.provisioner)
                #expect(node["spec"]?["drivers"]?[0]?["nodeID"] == "sandbox-node-2")
                #expect(node["metadata"]?["ownerReferences"]?[0]?["kind"] == "Node")
                let snapshotClass = await api.request(
                    "GET",
                    "/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses/\(ClusterController.snapshotClassName)"
                ).json
                #expect(snapshotClass["driver"]?.stringValue == ClusterController.provisioner)
                #expect(snapshotClass["deletionPolicy"] == "Delete")
                #expect(
                    snapshotClass["metadata"]?["annotations"]?["snapshot.storage.kubernetes.io/is-default-class"]
                        == "true"
                )

                let kubectl = KubectlTests.Kubectl(executable: try KubectlTests.Kubectl.locate(), directory: directory)
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                let listed = try await kubectl.run("get", "csidrivers,csinodes")
                #expect(listed.contains("csidriver.storage.k8s.io/\(ClusterController.provisioner)"))
                #expect(listed.contains("csinode.storage.k8s.io/sandbox-node-1"))
                #expect(listed.contains("csinode.storage.k8s.io/sandbox-node-2"))
            }
        }
    }

    @Test func theNextStepFollowsTheSnapshotAndItsClaim() {
        let ofClaim: JSONValue = ["spec": ["source": ["persistentVolumeClaimName": "data"]]]
        #expect(ClusterController.snapshotStep(["status": ["readyToUse": true]], claim: nil) == .done)
        #expect(
            ClusterController.snapshotStep(["spec": ["source": ["volumeSnapshotContentName": "c"]]], claim: nil)
                == .bindContent("c")
        )
        guard case .fail(let missing) = ClusterController.snapshotStep(ofClaim, claim: nil) else {
            Issue.record("a missing claim is an error")
            return
        }
        #expect(missing.contains("not found"))
        let pending: JSONValue = ["status": ["phase": "Pending"]]
        guard case .fail(let unbound) = ClusterController.snapshotStep(ofClaim, claim: pending) else {
            Issue.record("an unbound claim is an error")
            return
        }
        #expect(unbound.contains("not yet bound"))
        let bound: JSONValue = [
            "spec": ["volumeName": "pvc-1"], "status": ["phase": "Bound", "capacity": ["storage": "2Gi"]],
        ]
        #expect(ClusterController.snapshotStep(ofClaim, claim: bound) == .take(volume: "pvc-1", capacity: "2Gi"))
        let claim: JSONValue = [
            "spec": ["dataSource": ["apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "s"]]
        ]
        #expect(ClusterController.snapshotSource(of: claim) == "s")
        #expect(
            ClusterController.snapshotSource(of: ["spec": ["dataSource": ["kind": "PersistentVolumeClaim"]]]) == nil
        )
        #expect(ClusterController.isSandboxHandle("snapshot-1"))
        #expect(!ClusterController.isSandboxHandle("snapshot-../x"))
    }

    static func snapshotIsAPointInTimeCopyThatRestoresAndGoesWithItsContentBody(
        _ sandbox: Sandbox,
        _ api: TestAPI
    ) async throws {
        try await api.namespace("app")
        let volume = try await Self.boundClaim(api, sandbox, "data")
        try Self.writeTree(volume)

        try await Self.snapshot(api, "snap", claim: "data")
        let snapshot = try await Self.readySnapshot(api, "snap")
        let uid = try #require(snapshot["metadata"]?["uid"]?.stringValue)
        #expect(snapshot["status"]?["boundVolumeSnapshotContentName"]?.stringValue == "snapcontent-\(uid)")
        #expect(snapshot["status"]?["restoreSize"] == "1Gi")
        #expect(snapshot["status"]?["creationTime"]?.stringValue != nil)
        #expect(snapshot["status"]?["error"] == nil)
        let content = await api.request("GET", "\(Self.contents)/snapcontent-\(uid)").json
        #expect(content["spec"]?["deletionPolicy"] == "Delete")
        #expect(content["spec"]?["driver"]?.stringValue == ClusterController.provisioner)
        #expect(content["spec"]?["volumeSnapshotClassName"]?.stringValue == ClusterController.snapshotClassName)
        #expect(content["spec"]?["volumeSnapshotRef"]?["uid"]?.stringValue == uid)
        #expect(content["spec"]?["source"]?["volumeHandle"]?.stringValue == volume.lastPathComponent)
        #expect(content["status"]?["readyToUse"] == true)
        #expect(content["status"]?["restoreSize"] == 1_073_741_824)
        #expect(content["status"]?["creationTime"]?.intValue != nil)
        let handle = try #require(content["status"]?["snapshotHandle"]?.stringValue)
        let copy = sandbox.volumesRoot.appendingPathComponent("snapshots/\(handle)")
        #expect(Self.copiedTree(copy))

        // Later writes to the volume leave the snapshot as it was.
        try "two".write(to: volume.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
        try "new".write(to: volume.appendingPathComponent("new.txt"), atomically: true, encoding: .utf8)
        #expect(Self.read(copy, "a.txt") == "one")
        #expect(!FileManager.default.fileExists(atPath: copy.path + "/new.txt"))

        // A claim restoring from the snapshot starts with the snapshot's files.
        let restored = try await Self.boundClaim(
            api,
            sandbox,
            "restored",
            spec: ["dataSource": ["apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "snap"]]
        )
        #expect(restored != volume)
        #expect(Self.read(restored, "a.txt") == "one")
        #expect(Self.read(restored, "d/b.txt") == "deep")
        #expect(!FileManager.default.fileExists(atPath: restored.path + "/new.txt"))

        // deletionPolicy Delete: the content and the copy go with the snapshot.
        #expect(await api.request("DELETE", "\(Self.snapshots)/snap").status == 200)
        try await waitUntil("the content deleted") {
            await api.request("GET", "\(Self.contents)/snapcontent-\(uid)").status == 404
        }
        try await waitUntil("the copy removed") { !FileManager.default.fileExists(atPath: copy.path) }
        #expect(Self.read(restored, "a.txt") == "one")
    }

    static func aClaimRestoringFromASnapshotWaitsUntilItIsReadyBody(_ sandbox: Sandbox, _ api: TestAPI) async throws {
        try await api.namespace("app")
        // The snapshot of a claim that does not exist yet is not ready; the claim restoring from it waits.
        try await Self.snapshot(api, "later", claim: "data")
        try await api.create(
            "/api/v1/namespaces/app/persistentvolumeclaims",
            [
                "metadata": ["name": "restored"],
                "spec": [
                    "accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]],
                    "dataSourceRef": [
                        "apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "later",
                    ],
                ],
            ]
        )
        try await Self.usePod(api, claim: "restored")
        try await api.settleControllers()
        let path = "/api/v1/namespaces/app/persistentvolumeclaims/restored"
        #expect(await api.request("GET", path).json["status"]?["phase"] == "Pending")
        _ = try await Self.boundClaim(api, sandbox, "data")
        _ = try await Self.readySnapshot(api, "later")
        _ = try await Self.volumeFolder(api, sandbox, "restored")
    }

    static func retainKeepsTheContentAndItsCopyBody(_ sandbox: Sandbox, _ api: TestAPI) async throws {
        try await api.namespace("app")
        try await api.create(
            "/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses",
            [
                "metadata": ["name": "retain"], "driver": .string(ClusterController.provisioner),
                "deletionPolicy": "Retain",
            ]
        )
        _ = try await Self.boundClaim(api, sandbox, "data")
        try await Self.snapshot(api, "kept", claim: "data", className: "retain")
        let snapshot = try await Self.readySnapshot(api, "kept")
        let contentName = try #require(snapshot["status"]?["boundVolumeSnapshotContentName"]?.stringValue)
        let content = await api.request("GET", "\(Self.contents)/\(contentName)").json
        #expect(content["spec"]?["deletionPolicy"] == "Retain")
        let handle = try #require(content["status"]?["snapshotHandle"]?.stringValue)
        let copy = sandbox.volumesRoot.appendingPathComponent("snapshots/\(handle)")
        #expect(FileManager.default.fileExists(atPath: copy.path))

        #expect(await api.request("DELETE", "\(Self.snapshots)/kept").status == 200)
        try await api.settleControllers()
        #expect(await api.request("GET", "\(Self.contents)/\(contentName)").status == 200)
        #expect(await api.request("DELETE", "\(Self.contents)/\(contentName)").status == 200)
        try await api.settleControllers()
        #expect(FileManager.default.fileExists(atPath: copy.path))
    }

    static func aSnapshotOfAMissingOrUnboundClaimCarriesAnErrorUntilTheClaimBindsBody(
        _ sandbox: Sandbox,
        _ api: TestAPI
    ) async throws {
        try await api.namespace("app")
        try await Self.snapshot(api, "orphan", claim: "missing")
        try await waitUntil("the missing claim's error") {
            await api.request("GET", "\(Self.snapshots)/orphan").json["status"]?["error"]?["message"] != nil
        }
        let orphan = await api.request("GET", "\(Self.snapshots)/orphan").json
        #expect(orphan["status"]?["readyToUse"] == false)
        #expect(orphan["status"]?["error"]?["message"]?.stringValue?.contains("not found") == true)
        #expect(orphan["status"]?["error"]?["time"]?.stringValue != nil)

        // A claim waiting for its first consumer is not bound yet.
        try await api.create(
            "/api/v1/namespaces/app/persistentvolumeclaims",
            [
                "metadata": ["name": "late"],
                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
            ]
        )
        try await Self.snapshot(api, "early", claim: "late")
        try await waitUntil("the unbound claim's error") {
            await api.request("GET", "\(Self.snapshots)/early").json["status"]?["error"]?["message"]?
                .stringValue?.contains("not yet bound") == true
        }
        #expect(await api.request("GET", "\(Self.snapshots)/early").json["status"]?["readyToUse"] == false)
        try await Self.usePod(api, claim: "late")
        let early = try await Self.readySnapshot(api, "early")
        #expect(early["status"]?["error"] == nil)
    }
}
