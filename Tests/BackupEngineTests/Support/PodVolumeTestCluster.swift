import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Synchronization
import Testing
import VeleroAPI

@testable import BackupEngine

/// File-system backup tests on a sandbox: the install namespace `velero` with a `filesystem` storage location
/// `default` in a temporary folder, running pods with claims, a Lease standing in for a host-process node agent,
/// and a stand-in node agent that ends PodVolumeBackups through the API.
struct PodVolumeTestCluster {
    static let installNamespace = "velero"
    static let node = "sandbox-node-1"

    let client: KubeClient
    /// The location's bucket folder.
    let bucket: URL
    let location: BackupStorageLocation
    let store: BackupStore
    let resolver: StorageLocationResolver

    /// Starts a sandbox with the location and runs `body`.
    static func with<T: Sendable>(_ body: (PodVolumeTestCluster) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { bucket in
            try await withSandbox { _, client in
                try await client.createNamespaceAndWait(installNamespace)
                var spec = BackupStorageLocation.Spec(
                    provider: "filesystem",
                    objectStorage: .init(bucket: bucket.path, prefix: "velero")
                )
                spec.`default` = true
                let location = BackupStorageLocation(
                    metadata: ObjectMeta(name: "default", namespace: installNamespace),
                    spec: spec
                )
                _ = try await client.create(
                    StorageLocations.resource,
                    try BackupTestCluster.object(try JSONValue(encoding: location))
                )
                let factory = ObjectStoreFactory(environment: [:])
                let locations = StorageLocations(
                    client: client,
                    namespace: installNamespace,
                    factory: factory,
                    logger: .quiet
                )
                let (stored, store) = try await locations.writableStore("default")
                let resolver = StorageLocationResolver(
                    client: client,
                    namespace: installNamespace,
                    factory: factory,
                    logger: .quiet
                )
                let cluster = PodVolumeTestCluster(
                    client: client,
                    bucket: bucket,
                    location: stored,
                    store: store,
                    resolver: resolver
                )
                return try await body(cluster)
            }
        }
    }

    /// The runner's configuration with file-system backup on this location.
    func configuration(
        timeout: Duration = .seconds(600),
        hooks: (any BackupHookRunning)? = nil
    ) -> BackupRunner.Configuration {
        BackupRunner.Configuration(
            namespace: Self.installNamespace,
            podVolumes: PodVolumeBackupper.Configuration(
                location: location,
                resolver: resolver,
                timeout: timeout,
                pollInterval: .milliseconds(50)
            ),
            hooks: hooks
        )
    }

    /// Runs a backup named `name` of `spec` (location `default`).
    func backUp(_ name: String, spec: BackupSpec, configuration: BackupRunner.Configuration) async throws -> Backup {
        var spec = spec
        spec.storageLocation = "default"
        let runner = BackupRunner(client: client, store: store, configuration: configuration, logger: .quiet)
        return try await runner.run(Backup(metadata: ObjectMeta(name: name), spec: spec))
    }

    /// A claim `name` in `namespace` (the sandbox's default class binds it when a pod uses it).
    func createClaim(_ name: String, namespace: String, labels: [String: String] = [:]) async throws {
        var claim = KubeObject(apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: namespace, name: name)
        if !labels.isEmpty { claim.labels = labels }
        claim["spec"] = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]
        _ = try await client.create(ItemCollector.claimsResource, claim)
    }

    /// A pod on ``node`` whose container mounts every volume, and waits until it runs.
    /// - Parameter volumes: name → source (`["persistentVolumeClaim": ["claimName": …]]`, `["emptyDir": [:]]`).
    @discardableResult
    func createPod(
        _ name: String,
        namespace: String,
        volumes: [(String, JSONValue)],
        annotations: [String: String] = [:]
    ) async throws -> KubeObject {
        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: namespace, name: name)
        if !annotations.isEmpty { pod.annotations = annotations }
        var podVolumes: [JSONValue] = []
        var mounts: [JSONValue] = []
        for (volume, source) in volumes {
            var entry = source
            entry["name"] = .string(volume)
            podVolumes.append(entry)
            mounts.append(["name": .string(volume), "mountPath": .string("/mnt/\(volume)")])
        }
        pod["spec"] = [
            "nodeName": .string(Self.node),
            "containers": [["name": "app", "image": "busybox", "volumeMounts": .array(mounts)]],
            "volumes": .array(podVolumes),
        ]
        _ = try await client.create(.pods, pod)
        var running: KubeObject?
        try await waitUntil("pod \(namespace)/\(name) running") {
            let current = try await client.get(.pods, namespace: namespace, name: name)
            running = current
            return current["status"]?["phase"]?.stringValue == "Running"
        }
        return try #require(running)
    }

    /// Holds the Lease a host-process node agent holds for ``node`` (renewed now, 40 s).
    func registerNodeAgentLease(node: String = Self.node) async throws {
        var lease = KubeObject(
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            namespace: Self.installNamespace,
            name: NodeAgentPresence.leaseName(node: node)
        )
        LeaderElectionRecord(
            holderIdentity: node,
            leaseDurationSeconds: 40,
            acquireTime: Date(),
            renewTime: Date(),
            leaseTransitions: 0
        ).apply(to: &lease)
        _ = try await client.create(.leases, lease)
    }

    /// The backup's PodVolumeBackups in the cluster.
    func podVolumeBackups() async throws -> [PodVolumeBackup] {
        try await client.list(PodVolumeBackup.resource, namespace: Self.installNamespace).items.map {
            try $0.value.decode(as: PodVolumeBackup.self)
        }
    }

    /// A gunzipped side file of a backup, parsed.
    func sideFile(_ key: String) async throws -> JSONValue {
        let bytes = try #require(try await store.gunzipped(key))
        return try JSONValue(parsing: bytes)
    }

    /// Runs `body` while a stand-in node agent ends each new PodVolumeBackup as `decide` says (nil: leave it).
    func withNodeAgent<T: Sendable>(
        _ decide: @escaping @Sendable (PodVolumeBackup) -> PodVolumeBackup.Status?,
        _ body: () async throws -> T
    ) async throws -> T {
        let client = self.client
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                var done: Set<String> = []
                while !Task.isCancelled {
                    for pvb in (try? await podVolumeBackups()) ?? [] where !done.contains(pvb.name) {
                        guard pvb.status?.phase == nil, let status = decide(pvb) else { continue }
                        var updated = pvb
                        updated.status = status
                        guard let object = KubeObject(try JSONValue(encoding: updated)) else { continue }
                        if (try? await client.update(PodVolumeBackup.resource, object)) != nil {
                            done.insert(pvb.name)
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return nil
            }
            let result = try await body()
            group.cancelAll()
            return result
        }
    }

    /// A Completed status as a node agent writes it.
    static func completed(_ pvb: PodVolumeBackup, bytes: Int64 = 4096) -> PodVolumeBackup.Status {
        var status = PodVolumeBackup.Status(phase: DataMovePhase.completed)
        status.snapshotID = "snap-\(pvb.spec.volume)"
        status.path = "/host_pods/\(pvb.spec.pod.uid ?? "")/volumes/\(pvb.spec.volume)"
        status.progress = DataMoveProgress(totalBytes: bytes, bytesDone: bytes)
        status.startTimestamp = Timestamps.now()
        status.completionTimestamp = Timestamps.now()
        return status
    }

    /// A Failed status with `message`.
    static func failed(_ message: String) -> PodVolumeBackup.Status {
        var status = PodVolumeBackup.Status(phase: DataMovePhase.failed)
        status.message = message
        return status
    }
}

/// A hook runner that records the order of calls and what each pod's PodVolumeBackups were at the time.
final class RecordingHooks: BackupHookRunning {
    struct Call: Sendable, Hashable {
        var phase: String
        var pod: String
        /// The phases of the pod's PodVolumeBackups when the hooks ran.
        var podVolumeBackupPhases: [String]
    }

    let client: KubeClient
    /// Pods (`ns/name`) whose pre hooks fail with `onError: Fail`.
    let aborting: Set<String>
    let calls = Mutex<[Call]>([])

    init(client: KubeClient, aborting: Set<String> = []) {
        self.client = client
        self.aborting = aborting
    }

    func runPreHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome {
        let key = "\(pod.namespace ?? "")/\(pod.name ?? "")"
        await record("pre", pod: pod)
        if aborting.contains(key) {
            return HookPhaseOutcome(attempted: 1, failed: 1, errors: ["pre hook failed in pod \(key)"], abort: true)
        }
        return HookPhaseOutcome(attempted: 1)
    }

    func runPostHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome {
        await record("post", pod: pod)
        return HookPhaseOutcome(attempted: 1)
    }

    private func record(_ phase: String, pod: KubeObject) async {
        let list =
            (try? await client.list(PodVolumeBackup.resource, namespace: PodVolumeTestCluster.installNamespace))?
            .items ?? []
        let phases = list.compactMap { try? $0.value.decode(as: PodVolumeBackup.self) }
            .filter { $0.spec.pod.name == pod.name && $0.spec.pod.namespace == pod.namespace }
            .map { $0.status?.phase ?? "" }
        calls.withLock {
            $0.append(
                Call(phase: phase, pod: "\(pod.namespace ?? "")/\(pod.name ?? "")", podVolumeBackupPhases: phases)
            )
        }
    }
}

/// Hooks that prove the backup runs the hooks of different pods at the same time: each call waits (up to 10 s) until
/// the calls of its phase for all `pods` pods have started, and records whether they had.
final class GatheringHooks: BackupHookRunning {
    struct Call: Sendable, Hashable {
        var phase: String
        var pod: String
        /// All pods' calls of this phase had started while this one ran.
        var gathered: Bool
    }

    let pods: Int
    let calls = Mutex<[Call]>([])
    private let started = Mutex<[String: Int]>([:])

    init(pods: Int) {
        self.pods = pods
    }

    func runPreHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome {
        await gather("pre", pod: pod)
    }

    func runPostHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome {
        await gather("post", pod: pod)
    }

    private func gather(_ phase: String, pod: KubeObject) async -> HookPhaseOutcome {
        started.withLock { $0[phase, default: 0] += 1 }
        let deadline = ContinuousClock.now + .seconds(10)
        var gathered = false
        while ContinuousClock.now < deadline {
            if started.withLock({ $0[phase] ?? 0 }) >= pods {
                gathered = true
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        calls.withLock {
            $0.append(Call(phase: phase, pod: "\(pod.namespace ?? "")/\(pod.name ?? "")", gathered: gathered))
        }
        return HookPhaseOutcome(attempted: 1)
    }
}
