import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import Synchronization
import Testing

@testable import NodeAgent

/// The PodVolumeBackup and PodVolumeRestore controllers against a sandbox: acceptance on the client pod's
/// node, the hosting pod, the phases to Completed, cancel, and a load for another node left alone.
struct PodVolumeControllerTests {
    typealias Cluster = NodeAgentControllerTests
    static let appNamespace = "app"
    static let node = "sandbox-node-1"

    /// A data path that runs until the test releases its load (or it is canceled), recording starts.
    final class GatedDataPath: DataPath {
        let started = Mutex<[String]>([])
        let released = Mutex<Set<String>>([])
        let canceled = Mutex<[String]>([])

        func release(_ name: String) { _ = released.withLock { $0.insert(name) } }
        func hasStarted(_ name: String) -> Bool { started.withLock { $0.contains(name) } }

        func run(
            _ load: LoadObject,
            node: String,
            resumed: Bool,
            progress: @escaping @Sendable (Int64, Int64) -> Void
        ) async throws -> DataPathResult {
            started.withLock { $0.append(load.name) }
            do {
                while !released.withLock({ $0.contains(load.name) }) { try await Task.sleep(for: .milliseconds(10)) }
            } catch {
                canceled.withLock { $0.append(load.name) }
                throw error
            }
            return DataPathResult(totalBytes: 4096, path: "/host_pods/\(load.name)", snapshotID: "snap-\(load.name)")
        }
    }

    // MARK: - Fixtures

    /// Creates the app namespace, a PVC `data` (class "standard") and a pod on `node` using it, and waits
    /// until the pod runs (its PVC bound). With `restoreWait` the pod has Velero's `restore-wait` init
    /// container, running (as a restored pod has while its volumes are restored). Returns the pod.
    /// `waitStarted: false` leaves the init container without a status (the kubelet has not started it yet).
    static func clientPod(
        _ client: KubeClient,
        _ name: String,
        node: String,
        restoreWait: Bool = false,
        waitStarted: Bool = true
    ) async throws -> KubeObject {
        if try await !Cluster.exists(client, .namespaces, appNamespace, namespace: nil) {
            _ = try await client.create(
                .namespaces,
                KubeObject(apiVersion: "v1", kind: "Namespace", name: appNamespace)
            )
        }
        var claim = KubeObject(
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            namespace: appNamespace,
            name: "\(name)-data"
        )
        claim["spec"] = [
            "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
            "resources": ["requests": ["storage": "1Gi"]],
        ]
        _ = try await client.create(NodeAgentController.persistentVolumeClaims, claim)
        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: appNamespace, name: name)
        pod["spec"] = [
            "nodeName": .string(node),
            "containers": [["name": "app", "image": "busybox"]],
            "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": .string("\(name)-data")]]],
        ]
        if restoreWait {
            // As a restore creates it: labelled with the restore, Velero's restore-wait init container first (the
            // test images run a program that waits). Not started yet: its volume's host folder is missing, so
            // the kubelet keeps it waiting (ContainerCreating) until ``releaseRestoreWait`` creates it.
            pod.labels = ["velero.io/restore-name": "r1"]
            var wait: JSONValue = ["name": "restore-wait", "image": "velero/velero-restore-helper"]
            if !waitStarted {
                pod["spec"]?["volumes"] = [
                    ["name": "data", "persistentVolumeClaim": ["claimName": .string("\(name)-data")]],
                    ["name": "gate", "hostPath": ["path": .string("/var/lib/gate-\(name)"), "type": "Directory"]],
                ]
                wait["volumeMounts"] = [["name": "gate", "mountPath": "/gate"]]
            }
            pod["spec"]?["initContainers"] = [wait]
        }
        _ = try await client.create(.pods, pod)
        var current: KubeObject?
        try await waitUntil("client pod \(name) running") {
            let pod = try await client.get(.pods, namespace: appNamespace, name: name)
            current = pod
            guard restoreWait else { return pod["status"]?["phase"]?.stringValue == "Running" }
            let state = pod["status"]?["initContainerStatuses"]?[0]?["state"]
            return waitStarted ? state?["running"] != nil : state?["waiting"]?["reason"] == "ContainerCreating"
        }
        return try #require(current)
    }

    /// Lets the kubelet start the restore-wait container of a pod made with `waitStarted: false` (it retries
    /// within its back-off of 10 seconds).
    static func releaseRestoreWait(_ name: String, node: String, volumesRoot: URL) throws {
        try FileManager.default.createDirectory(
            at: volumesRoot.appendingPathComponent("nodes/\(node)/root/var/lib/gate-\(name)"),
            withIntermediateDirectories: true
        )
    }

    /// A PodVolumeBackup as Velero's pod volume backupper creates it, or a PodVolumeRestore.
    static func load(
        _ kind: LoadKind,
        _ name: String,
        pod: KubeObject,
        node: String,
        snapshotSize: Int64 = 0
    ) -> KubeObject {
        var load = KubeObject(
            apiVersion: kind.apiVersion,
            kind: kind.rawValue,
            namespace: Cluster.namespace,
            name: name
        )
        let podReference: JSONValue = [
            "kind": "Pod", "namespace": .string(appNamespace), "name": .string(pod.name ?? ""),
            "uid": .string(pod.uid ?? ""),
        ]
        if kind == .podVolumeBackup {
            load.labels = ["velero.io/backup-name": "b1"]
            load["spec"] = [
                "node": .string(node), "pod": podReference, "volume": "data", "backupStorageLocation": "default",
                "repoIdentifier": "s3:http://minio/velero/kopia/app", "uploaderType": "kopia",
            ]
        } else {
            load.labels = ["velero.io/restore-name": "r1"]
            load["spec"] = [
                "pod": podReference, "volume": "data", "backupStorageLocation": "default", "uploaderType": "kopia",
                "repoIdentifier": "s3:http://minio/velero/kopia/app", "snapshotID": "snap-1", "sourceNamespace": "app",
                "snapshotSize": .int(snapshotSize),
            ]
        }
        return load
    }

    /// The sandbox's pods directory of ``node``: where its kubelet-like layout puts pod volumes.
    static func podsDirectory(_ volumesRoot: URL) -> String {
        volumesRoot.appendingPathComponent("nodes/\(node)/pods").path
    }

    /// Runs `agent` while `body` runs, with `observer` watching from before the agent starts (it has seen
    /// `name` first), so its history holds every phase the agent writes.
    static func running(
        _ agent: NodeAgentController,
        observer: LoadObserver,
        seeing name: String,
        _ body: () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await observer.run() }
            try await waitUntil("the observer saw \(name)") { observer.observation.phases[name] != nil }
            group.addTask { try await agent.run() }
            try await body()
            group.cancelAll()
        }
    }

    /// A one-node cluster with a client pod on `sandbox-node-1`, the load `name` of `kind` for its volume, and
    /// that node's agent (not running) with a ``GatedDataPath``: `body` gets the admin client, the agent, its
    /// data path and the client pod.
    ///
    /// The agent looks for pod volumes in the sandbox's pods directory of its node (`hostPods`: nil), or in
    /// `hostPods`; `template` stands for the node-agent DaemonSet.
    static func withLoad(
        _ kind: LoadKind,
        _ name: String,
        clientPod: String,
        json: String = "{}",
        snapshotSize: Int64 = 0,
        cacheLimitBytes: Int64 = ExposerBuilder.defaultCacheLimitBytes,
        hostPods: String? = nil,
        template: DataMoverPodTemplate = DataMoverPodTemplate(image: "velero/velero:v1.17.0"),
        _ body: (KubeClient, NodeAgentController, GatedDataPath, KubeObject) async throws -> Void
    ) async throws {
        try await Cluster.withClusterVolumes { _, admin, volumesRoot in
            let client = try await Self.clientPod(admin, clientPod, node: node, restoreWait: kind == .podVolumeRestore)
            _ = try await admin.create(
                kind.gvr,
                Self.load(kind, name, pod: client, node: node, snapshotSize: snapshotSize)
            )
            let gate = GatedDataPath()
            let agent = try Cluster.controller(
                admin,
                node: node,
                json: json,
                dataPath: gate,
                kinds: [kind],
                cacheLimitBytes: cacheLimitBytes,
                hostPods: hostPods ?? Self.podsDirectory(volumesRoot),
                template: template
            )
            try await body(admin, agent, gate, client)
        }
    }

    // MARK: - Tests

    @Test(.timeLimit(.minutes(3)))
    func aPodVolumeBackupRunsOnItsNodeThroughEveryPhase() async throws {
        try await Self.withLoad(.podVolumeBackup, "pvb-1", clientPod: "web") { admin, agent, gate, client in
            try await Cluster.reconcileOnce(agent, admin, .podVolumeBackup, "pvb-1")

            let accepted = try #require(try await Cluster.load(admin, .podVolumeBackup, "pvb-1"))
            #expect(accepted.phase == .accepted)
            #expect(accepted.object["status"]?["acceptedTimestamp"]?.stringValue != nil)
            #expect(accepted.isExposing)
            #expect(accepted.object["metadata"]?["finalizers"] == ["velero.io/pod-volume-finalizer"])
            // A PodVolumeBackup has no status.acceptedByNode or status.node: its node is spec.node.
            #expect(accepted.object["status"]?["acceptedByNode"] == nil)
            #expect(accepted.object["status"]?["node"] == nil)

            let pod = try await admin.get(.pods, namespace: Cluster.namespace, name: "pvb-1")
            #expect(pod.labels == ["velero.io/pod-volume-backup": "pvb-1"])
            #expect(pod["spec"]?["nodeName"]?.stringValue == Self.node)
            let container = try #require(pod["spec"]?["containers"]?[0])
            #expect(container["name"]?.stringValue == accepted.uid)
            #expect(container["command"] == ["/velero", "pod-volume", "backup"])
            #expect(container["args"]?[2] == "--pod-volume-backup=pvb-1")
            #expect(container["securityContext"] == ["privileged": false])
            let claim = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: Self.appNamespace,
                name: "web-data"
            )
            let volume = try #require(claim["spec"]?["volumeName"]?.stringValue)
            // Found on the node: the directory the sandbox's kubelet laid out for the client pod's volume.
            let hostPath = try #require(pod["spec"]?["volumes"]?[0]?["hostPath"]?["path"]?.stringValue)
            #expect(
                hostPath.hasSuffix(
                    "/nodes/\(Self.node)/pods/\(client.uid ?? "")/volumes/kubernetes.io~csi/\(volume)/mount"
                )
            )
            #expect(FileManager.default.fileExists(atPath: hostPath))

            let observer = LoadObserver(client: admin, namespace: Cluster.namespace, kind: .podVolumeBackup)
            try await Self.running(agent, observer: observer, seeing: "pvb-1") {
                try await waitUntil("pvb-1 InProgress with its data path started") {
                    try await Cluster.load(admin, .podVolumeBackup, "pvb-1")?.phase == .inProgress
                        && gate.hasStarted("pvb-1")
                }
                let started = try #require(try await Cluster.load(admin, .podVolumeBackup, "pvb-1"))
                #expect(!started.isExposing)
                #expect(started.hasFinalizer)
                #expect(started.object["status"]?["startTimestamp"]?.stringValue != nil)
                gate.release("pvb-1")
                try await waitUntil("pvb-1 Completed") {
                    try await Cluster.load(admin, .podVolumeBackup, "pvb-1")?.phase == .completed
                }
                try await Cluster.waitForCleanUp(admin, "pvb-1", kind: .podVolumeBackup)
            }
            #expect(observer.observation.history["pvb-1"] == [.accepted, .prepared, .inProgress, .completed])
            let done = try #require(try await Cluster.load(admin, .podVolumeBackup, "pvb-1"))
            #expect(done.object["status"]?["snapshotID"] == "snap-pvb-1")
            #expect(done.object["status"]?["completionTimestamp"]?.stringValue != nil)
            #expect(done.object["metadata"]?["finalizers"] == nil)
            #expect(done.isExposing == false)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func theHostingPodMountsThePodVolumeWhereTheNodeHasIt() async throws {
        // The DaemonSet mounts the node's /var/lib/kubelet/pods at the path the agent searches (Velero's
        // host-pods volume): the hosting pod gets the node's path of the directory the agent found.
        let template = DataMoverPodTemplate(
            image: "velero/velero:v1.17.0",
            volumes: [["name": "host-pods", "hostPath": ["path": "/var/lib/kubelet/pods"]]]
        )
        try await Self.withLoad(.podVolumeBackup, "pvb-node", clientPod: "web", template: template) {
            admin,
            agent,
            _,
            client in
            try await Cluster.reconcileOnce(agent, admin, .podVolumeBackup, "pvb-node")
            let claim = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: Self.appNamespace,
                name: "web-data"
            )
            let volume = try #require(claim["spec"]?["volumeName"]?.stringValue)
            let pod = try await admin.get(.pods, namespace: Cluster.namespace, name: "pvb-node")
            #expect(
                pod["spec"]?["volumes"]?[0]?["hostPath"]?["path"]?.stringValue
                    == "/var/lib/kubelet/pods/\(client.uid ?? "")/volumes/kubernetes.io~csi/\(volume)/mount"
            )
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aPodVolumeBackupWhoseVolumeIsNotOnTheNodeFailsWithVelerosMessage() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-pods-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        try await Self.withLoad(.podVolumeBackup, "pvb-lost", clientPod: "web", hostPods: empty.path) {
            admin,
            agent,
            gate,
            client in
            try await Cluster.reconcileOnce(agent, admin, .podVolumeBackup, "pvb-lost")
            let claim = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: Self.appNamespace,
                name: "web-data"
            )
            let volume = try #require(claim["spec"]?["volumeName"]?.stringValue)
            let failed = try #require(try await Cluster.load(admin, .podVolumeBackup, "pvb-lost"))
            #expect(failed.phase == .failed)
            let glob = "\(empty.path)/\(client.uid ?? "")/volumes/*/\(volume)/mount"
            #expect(
                failed.object["status"]?["message"]?.stringValue
                    == "error to expose PVB: error identifying unique volume path on host for volume data in pod web: "
                    + "expected one matching path: \(glob), got 0"
            )
            #expect(!gate.hasStarted("pvb-lost"))
            #expect(try await !Cluster.exists(admin, .pods, "pvb-lost", namespace: Cluster.namespace))
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aPodVolumeRestoreIsTakenAsSoonAsItsPodsRestoreWaitContainerRuns() async throws {
        try await Cluster.withClusterVolumes { _, admin, volumesRoot in
            let client = try await Self.clientPod(admin, "late", node: Self.node, restoreWait: true, waitStarted: false)
            _ = try await admin.create(
                LoadKind.podVolumeRestore.gvr,
                Self.load(.podVolumeRestore, "pvr-late", pod: client, node: Self.node)
            )
            // A resync far away: only the restored-pod watch can bring the load back in time.
            let agent = try Cluster.controller(
                admin,
                node: Self.node,
                dataPath: GatedDataPath(),
                kinds: [.podVolumeRestore],
                resyncInterval: .seconds(600),
                hostPods: Self.podsDirectory(volumesRoot)
            )
            try await Cluster.running(agent) {
                // The agent has reconciled its one load (it counts a reconcile once it is done) and left it New:
                // the pod's restore-wait container does not run yet.
                try await waitUntil("the agent's first reconcile of pvr-late") { agent.statistics.reconciles >= 1 }
                #expect(try await Cluster.load(admin, .podVolumeRestore, "pvr-late")?.phase == .new)
                try Self.releaseRestoreWait("late", node: Self.node, volumesRoot: volumesRoot)
                let clock = ContinuousClock()
                let started = clock.now
                try await waitUntil("pvr-late Accepted") {
                    try await Cluster.load(admin, .podVolumeRestore, "pvr-late")?.phase != .new
                }
                #expect(clock.now - started < .seconds(30))
            }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aPodVolumeRestoreWithACacheVolumeCompletesAndCleansUp() async throws {
        let json = #"{"privilegedFsBackup":true,"cachePVC":{"storageClass":"standard","residentThresholdInMB":1}}"#
        try await Self.withLoad(
            .podVolumeRestore,
            "pvr-1",
            clientPod: "db",
            json: json,
            snapshotSize: 8 << 20,
            cacheLimitBytes: 1 << 30
        ) { admin, agent, gate, _ in
            try await Cluster.reconcileOnce(agent, admin, .podVolumeRestore, "pvr-1")

            let accepted = try #require(try await Cluster.load(admin, .podVolumeRestore, "pvr-1"))
            #expect(accepted.phase == .accepted)
            #expect(accepted.object["status"]?["node"]?.stringValue == Self.node)
            #expect(accepted.object["status"]?["acceptedTimestamp"]?.stringValue != nil)
            #expect(accepted.isExposing)
            #expect(accepted.object["metadata"]?["finalizers"] == ["velero.io/pod-volume-finalizer"])
            let cache = try await admin.get(
                NodeAgentController.persistentVolumeClaims,
                namespace: Cluster.namespace,
                name: "pvr-1-cache"
            )
            #expect(cache["spec"]?["storageClassName"] == "standard")
            #expect(cache["spec"]?["resources"]?["requests"]?["storage"] == "2Gi")
            #expect(cache.annotations["volume.kubernetes.io/selected-node"] == Self.node)
            let pod = try await admin.get(.pods, namespace: Cluster.namespace, name: "pvr-1")
            #expect(pod.labels == ["velero.io/pod-volume-restore": "pvr-1"])
            #expect(pod["spec"]?["nodeName"]?.stringValue == Self.node)
            let container = try #require(pod["spec"]?["containers"]?[0])
            #expect(container["command"] == ["/velero", "pod-volume", "restore"])
            #expect(container["args"]?[2] == "--pod-volume-restore=pvr-1")
            #expect(container["args"]?[3] == "--cache-volume-path=/cachedir")
            #expect(container["securityContext"] == ["privileged": true])
            #expect(
                pod["spec"]?["volumes"]?[1] == [
                    "name": "cachedir", "persistentVolumeClaim": ["claimName": "pvr-1-cache"],
                ]
            )

            let observer = LoadObserver(client: admin, namespace: Cluster.namespace, kind: .podVolumeRestore)
            try await Self.running(agent, observer: observer, seeing: "pvr-1") {
                try await waitUntil("pvr-1 InProgress with its data path started") {
                    try await Cluster.load(admin, .podVolumeRestore, "pvr-1")?.phase == .inProgress
                        && gate.hasStarted("pvr-1")
                }
                #expect(try await Cluster.load(admin, .podVolumeRestore, "pvr-1")?.isExposing == false)
                gate.release("pvr-1")
                try await Cluster.waitForCleanUp(admin, "pvr-1", kind: .podVolumeRestore)
            }
            #expect(observer.observation.history["pvr-1"] == [.accepted, .prepared, .inProgress, .completed])
            let done = try #require(try await Cluster.load(admin, .podVolumeRestore, "pvr-1"))
            #expect(done.object["status"]?["node"]?.stringValue == Self.node)
            #expect(done.object["metadata"]?["finalizers"] == nil)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func cancelingAnInProgressPodVolumeRestoreStopsItsDataPath() async throws {
        try await Self.withLoad(.podVolumeRestore, "pvr-cancel", clientPod: "cache") { admin, agent, gate, _ in
            let observer = LoadObserver(client: admin, namespace: Cluster.namespace, kind: .podVolumeRestore)
            try await Self.running(agent, observer: observer, seeing: "pvr-cancel") {
                try await waitUntil("pvr-cancel InProgress with its data path started") {
                    try await Cluster.load(admin, .podVolumeRestore, "pvr-cancel")?.phase == .inProgress
                        && gate.hasStarted("pvr-cancel")
                }
                var load = try #require(try await Cluster.load(admin, .podVolumeRestore, "pvr-cancel"))
                load.object[path: ["spec", "cancel"]] = true
                _ = try await admin.update(
                    LoadKind.podVolumeRestore.gvr,
                    namespace: Cluster.namespace,
                    try #require(KubeObject(load.object))
                )
                try await waitUntil("pvr-cancel Canceled") { observer.observation.phases["pvr-cancel"] == .canceled }
                try await Cluster.waitForCleanUp(admin, "pvr-cancel", kind: .podVolumeRestore)
            }
            #expect(observer.observation.history["pvr-cancel"]?.suffix(3) == [.inProgress, .canceling, .canceled])
            #expect(gate.canceled.withLock { $0 } == ["pvr-cancel"])
            let load = try #require(try await Cluster.load(admin, .podVolumeRestore, "pvr-cancel"))
            #expect(load.isExposing == false)
            #expect(load.object["status"]?["completionTimestamp"]?.stringValue != nil)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aPodVolumeBackupForAnotherNodeIsLeftToThatNodesAgent() async throws {
        try await Cluster.withClusterVolumes(nodes: 2) { config, admin, volumesRoot in
            let client = try await Self.clientPod(admin, "api", node: "sandbox-node-2")
            _ = try await admin.create(
                LoadKind.podVolumeBackup.gvr,
                Self.load(.podVolumeBackup, "pvb-2", pod: client, node: "sandbox-node-2")
            )
            let runs = Cluster.Runs()
            let first = try Cluster.controller(
                admin,
                node: "sandbox-node-1",
                dataPath: runs.dataPath,
                kinds: [.podVolumeBackup]
            )
            // The first node's agent does not take it: still New, no finalizer, no pod.
            try await Cluster.reconcileOnce(first, admin, .podVolumeBackup, "pvb-2")
            let untouched = try #require(try await Cluster.load(admin, .podVolumeBackup, "pvb-2"))
            #expect(untouched.phase == .new)
            #expect(!untouched.hasFinalizer)
            #expect(try await !Cluster.exists(admin, .pods, "pvb-2"))

            try await withKubeClient(config: config, configuration: .test, logger: .quiet) { c2 in
                let second = try Cluster.controller(
                    c2,
                    node: "sandbox-node-2",
                    dataPath: runs.dataPath,
                    kinds: [.podVolumeBackup],
                    hostPods: volumesRoot.appendingPathComponent("nodes/sandbox-node-2/pods").path
                )
                try await Cluster.running(first) {
                    try await Cluster.running(second) {
                        try await waitUntil("pvb-2 Completed") {
                            try await Cluster.load(admin, .podVolumeBackup, "pvb-2")?.phase == .completed
                        }
                        try await Cluster.waitForCleanUp(admin, "pvb-2", kind: .podVolumeBackup)
                    }
                }
                #expect(first.statistics.accepted == 0)
                #expect(second.statistics.accepted == 1)
            }
            #expect(runs.all.map(\.name) == ["pvb-2"])
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aPodVolumeRestoreForAPodWithoutTheRestoreWaitContainerFails() async throws {
        try await Cluster.withCluster { _, admin in
            let client = try await Self.clientPod(admin, "plain", node: Self.node)
            _ = try await admin.create(
                LoadKind.podVolumeRestore.gvr,
                Self.load(.podVolumeRestore, "pvr-plain", pod: client, node: Self.node)
            )
            let agent = try Cluster.controller(admin, node: Self.node, kinds: [.podVolumeRestore])
            try await Cluster.reconcileOnce(agent, admin, .podVolumeRestore, "pvr-plain")
            let load = try #require(try await Cluster.load(admin, .podVolumeRestore, "pvr-plain"))
            #expect(load.phase == .failed)
            #expect(load.message == "Pod for this PVR is not ready: no restore-wait init container in pod app/plain")
            #expect(try await !Cluster.exists(admin, .pods, "pvr-plain"))
        }
    }

    /// (init container status, expected state): Velero's `shouldProcess`.
    static let restoreWaitCases: [(JSONValue, NodeAgentController.RestoreWaitState)] = [
        (.null, .notYet),
        (["state": ["waiting": ["reason": "PodInitializing"]]], .notYet),
        (["state": ["running": ["startedAt": "2026-11-22T00:00:00Z"]]], .running),
        (
            ["state": ["terminated": ["exitCode": 0]]],
            .broken("restore-wait init container has already completed in pod app/p")
        ),
        (
            ["state": ["waiting": ["reason": "ErrImagePull"]]],
            .broken(
                "restore-wait init container in pod app/p is in unrecoverable waiting state with reason ErrImagePull"
            )
        ),
    ]

    @Test(arguments: PodVolumeControllerTests.restoreWaitCases)
    func theRestoreWaitContainerGatesAcceptance(status: JSONValue, expected: NodeAgentController.RestoreWaitState) {
        var pod: JSONValue = [
            "spec": ["initContainers": [["name": "other"], ["name": "restore-wait"]]],
            "status": ["phase": "Pending"],
        ]
        if status != .null { pod[path: ["status", "initContainerStatuses"]] = [["name": "other"], status] }
        #expect(NodeAgentController.restoreWaitState(ofPod: pod, name: "app/p") == expected)
    }
}
