import BackupEngine
import Foundation
import KubeSandboxTesting
import Kubernetes
import Logging
import NIOCore
import ObjectStorage
import ObjectStorageTesting
import ProcessTesting
import Synchronization
import Testing
import VeleroAPI
import VolumeRepository

/// A sandbox with what a pod-volume micro-service needs, for one test: namespace `velero`, a `filesystem`
/// backup storage location `default` in a temporary folder (prefix `lb`), the repository password Secret, an
/// initialized repository for namespace `app`, and a volume folder.
struct DataMoverFixture {
    let client: KubeClient
    let directory: URL
    static let password = "pod-volume-secret"

    /// The location's bucket folder.
    var bucket: URL { directory.appendingPathComponent("bucket") }
    /// The repository of namespace `app`.
    var repositoryPath: String { bucket.appendingPathComponent("lb/restic/app").path }
    /// A file holding the password (for `restic --password-file`).
    var passwordFile: String { directory.appendingPathComponent("password").path }
    /// Where the services write their outcome.
    var terminationLog: String { directory.appendingPathComponent("termination-log").path }

    /// Runs `body` with a fresh sandbox and folder; `secret: false` leaves the password Secret out.
    static func with(
        secret: Bool = true,
        initialize: Bool = true,
        _ body: (DataMoverFixture) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-datamover") { directory in
            try await withSandbox { _, client in
                let fixture = DataMoverFixture(client: client, directory: directory)
                try await fixture.install(secret: secret, initialize: initialize)
                try await body(fixture)
            }
        }
    }

    private func install(secret: Bool, initialize: Bool) async throws {
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
        try Data(Self.password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        try await client.createNamespaceAndWait("velero")
        let location = try BackupTestCluster.object([
            "apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
            "metadata": ["name": "default", "namespace": "velero"],
            "spec": [
                "provider": "filesystem", "default": true,
                "objectStorage": ["bucket": .string(bucket.path), "prefix": "lb"],
            ],
        ])
        _ = try await client.create(BackupStorageLocation.resource, namespace: "velero", location)
        if secret { try await createSecret(password: Self.password) }
        if initialize {
            let store = try FilesystemObjectStore(root: repositoryPath, configuration: .init(createRoot: true))
            _ = try await Repository.initialize(
                store: store,
                password: Self.password,
                configuration: .testing,
                logger: .quiet
            )
        }
    }

    /// Creates the `velero-repo-credentials` Secret with `password`.
    func createSecret(password: String) async throws {
        var secret = KubeObject(apiVersion: "v1", kind: "Secret", namespace: "velero", name: "velero-repo-credentials")
        secret["data"] = ["repository-password": .string(Data(password.utf8).base64EncodedString())]
        _ = try await client.create(.secrets, secret)
    }

    /// A new folder under the temporary folder.
    func folder(_ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// The service configuration for `load` and `volume` (progress every 50 ms, the fixture's termination log).
    func configuration(
        load: String,
        volume: String,
        timeout: Duration = .seconds(60),
        wrapStore: @escaping @Sendable (any ObjectStore) -> any ObjectStore = { $0 }
    ) -> PodVolumeDataMover.Configuration {
        PodVolumeDataMover.Configuration(
            namespace: "velero",
            nodeName: "node-1",
            loadName: load,
            volumePath: volume,
            resourceTimeout: timeout,
            progressInterval: .milliseconds(50),
            terminationLogPath: terminationLog,
            wrapStore: wrapStore,
            repository: .testing
        )
    }

    /// What the termination log holds.
    func terminationMessage() throws -> String {
        try String(contentsOfFile: terminationLog, encoding: .utf8)
    }
}

// MARK: loads

extension DataMoverFixture {
    /// Creates a PodVolumeBackup of volume `data` of pod `app/web` in location `default` (phase `Prepared`).
    @discardableResult
    func createPVB(_ name: String, pvcUID: String? = nil, tags: [String: String] = [:]) async throws -> KubeObject {
        var labels: JSONObject = ["velero.io/backup-name": "nightly"]
        if let pvcUID { labels["velero.io/pvc-uid"] = .string(pvcUID) }
        let object = try BackupTestCluster.object([
            "apiVersion": "velero.io/v1", "kind": "PodVolumeBackup",
            "metadata": ["name": .string(name), "namespace": "velero", "labels": .object(labels)],
            "spec": [
                "node": "node-1", "volume": "data", "backupStorageLocation": "default",
                "repoIdentifier": .string("local:\(bucket.path)/lb/restic/app"), "uploaderType": "restic",
                "pod": ["kind": "Pod", "namespace": "app", "name": "web", "uid": "pod-uid-1"],
                "tags": .object(JSONObject(uniqueKeysWithValues: tags.map { ($0.key, JSONValue.string($0.value)) })),
            ],
            "status": ["phase": "Prepared"],
        ])
        return try await client.create(PodVolumeBackup.resource, namespace: "velero", object)
    }

    /// Creates a PodVolumeRestore of `snapshotID` into volume `data` of pod `app/web` for restore uid `restoreUID`.
    @discardableResult
    func createPVR(
        _ name: String,
        snapshotID: String,
        restoreUID: String,
        uploaderType: String = "restic"
    ) async throws -> KubeObject {
        let object = try BackupTestCluster.object([
            "apiVersion": "velero.io/v1", "kind": "PodVolumeRestore",
            "metadata": [
                "name": .string(name), "namespace": "velero",
                "ownerReferences": [
                    [
                        "apiVersion": "velero.io/v1", "kind": "Restore", "name": "r1", "uid": .string(restoreUID),
                        "controller": true,
                    ]
                ],
            ],
            "spec": [
                "volume": "data", "backupStorageLocation": "default", "uploaderType": .string(uploaderType),
                "repoIdentifier": .string("local:\(bucket.path)/lb/restic/app"), "snapshotID": .string(snapshotID),
                "sourceNamespace": "app",
                "pod": ["kind": "Pod", "namespace": "app", "name": "web", "uid": "pod-uid-2"],
            ],
            "status": ["phase": "Prepared"],
        ])
        return try await client.create(PodVolumeRestore.resource, namespace: "velero", object)
    }

    /// Sets a load's status (as the node agent does): `phase`, plus `extra` fields.
    func setStatus(
        _ resource: GroupVersionResource,
        _ name: String,
        phase: String,
        extra: JSONObject = [:]
    ) async throws {
        var status: JSONObject = ["phase": .string(phase)]
        for (key, value) in extra { status[key] = value }
        _ = try await client.patch(resource, namespace: "velero", name: name, .merge(["status": .object(status)]))
    }

    /// Sets `spec.cancel` on a load.
    func cancel(_ resource: GroupVersionResource, _ name: String) async throws {
        _ = try await client.patch(resource, namespace: "velero", name: name, .merge(["spec": ["cancel": true]]))
    }

    /// The Events about load `name`, in the order they were first recorded.
    func events(of name: String) async throws -> [KubeObject] {
        let list = try await client.list(
            GroupVersionResource(group: "", version: "v1", resource: "events"),
            namespace: "velero"
        )
        return list.items.filter { $0["involvedObject"]?["name"]?.stringValue == name }
            .sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    /// The reasons of those Events.
    func reasons(of name: String) async throws -> [String] {
        try await events(of: name).compactMap { $0["reason"]?.stringValue }
    }

    /// Waits until an Event with `reason` about `name` exists.
    func waitForEvent(_ reason: String, of name: String) async throws {
        try await waitUntil("event \(reason) of \(name)") { try await reasons(of: name).contains(reason) }
    }
}

// MARK: volumes and restic

extension DataMoverFixture {
    /// Writes `files` (relative path → bytes) under `folder`.
    static func write(_ files: [String: [UInt8]], under folder: String) throws {
        for (path, bytes) in files {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(bytes).write(to: url)
        }
    }

    /// Bytes that do not compress (`TestBytes.noise`).
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] { TestBytes.noise(count, seed: seed) }

    /// Runs the real `restic` on the fixture's repository.
    func restic(_ arguments: [String]) async throws -> ChildProcess.Result {
        let restic = try ChildProcess.find("restic")
        let environment = [
            "RESTIC_CACHE_DIR": directory.appendingPathComponent("restic-cache").path, "PATH": "/usr/bin:/bin",
        ]
        let result = try await ChildProcess.run(
            restic,
            ["-r", repositoryPath, "--password-file", passwordFile] + arguments,
            environment: environment
        )
        #expect(result.status == 0, "restic \(arguments): \(result.output)")
        return result
    }

    /// `restic snapshots --json`, as JSON.
    func resticSnapshots() async throws -> [JSONValue] {
        let result = try await restic(["snapshots", "--json"])
        return try JSONValue(parsing: Array(result.stdoutData)).arrayValue ?? []
    }
}

/// A store decorator that holds every write of a data pack until ``open()`` (or until the writing task is
/// cancelled): lets a test see a data path running, or cancel it while it runs.
struct GatedStore: ObjectStore {
    let base: any ObjectStore
    let gate: Gate

    /// A one-shot gate.
    final class Gate: Sendable {
        private let isOpen = Mutex(false)

        /// Lets every held write through, now and later.
        func open() { isOpen.withLock { $0 = true } }

        /// Waits until open; throws `CancellationError` when the task is cancelled first.
        func pass() async throws {
            while !isOpen.withLock({ $0 }) {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    private func hold(_ key: String) async throws {
        if key.contains("data/") { try await gate.pass() }
    }

    func put(_ key: String, body: some AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int?) async throws {
        try await hold(key)
        try await base.put(key, body: body, length: length)
    }

    func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try await hold(key)
        return try await base.putIfAbsent(key, body: body, length: length)
    }

    func get(_ key: String) async throws -> ObjectBody { try await base.get(key) }
    func get(_ key: String, range: Range<Int>) async throws -> ObjectBody { try await base.get(key, range: range) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) -> ObjectListing { base.list(prefix: prefix, delimiter: delimiter) }
    func delete(_ key: String) async throws { try await base.delete(key) }
}
