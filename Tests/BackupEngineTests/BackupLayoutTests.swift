import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import NIOCore
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

/// The tarball and object-store layout of a backup (velero.md §4–§5), and fidelity of the stored objects.
struct BackupLayoutTests {
    typealias T = BackupTestCluster

    static let sideFiles = [
        "velero-backup.json", "layout.tar.gz", "layout-logs.gz", "layout-results.gz", "layout-resource-list.json.gz",
        "layout-volumesnapshots.json.gz", "layout-podvolumebackups.json.gz", "layout-itemoperations.json.gz",
        "layout-volumeinfo.json.gz",
    ]

    @Test func tarballAndObjectStoreLayout() async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("velero")
            try await client.createNamespaceAndWait("shop")
            _ = try await client.create(
                .configMaps,
                try T.object([
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "prices", "namespace": "shop"],
                    "data": ["a": "1"],
                ])
            )
            _ = try await client.create(
                .secrets,
                try T.object([
                    "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "token", "namespace": "shop"],
                    "data": ["t": "eA=="],
                ])
            )
            _ = try await client.create(
                BackupFixture.deployments,
                try BackupFixture.deployment("front", namespace: "shop")
            )

            let memory = MemoryObjectStore()
            let store = BackupStore(store: memory, prefix: "/cluster-a/")
            var spec = BackupSpec()
            spec.includedNamespaces = ["shop"]
            spec.ttl = "1h30m0s"
            let before = Date()
            let runner = BackupRunner(
                client: client,
                store: store,
                configuration: .init(namespace: "velero"),
                logger: .quiet
            )
            let result = try await runner.run(Backup(metadata: ObjectMeta(name: "layout"), spec: spec))
            #expect(result.status?.phase == BackupPhase.completed)

            // Object-store keys: exactly Velero's files, under the trimmed prefix.
            let keys = try await memory.listAll(prefix: "").map(\.key)
            #expect(Set(keys) == Set(Self.sideFiles.map { "cluster-a/backups/layout/\($0)" }), "got \(keys)")
            #expect(try await store.backupNames() == ["layout"])

            // Tarball: version file first, then every item at its legacy path and its preferred-version copy.
            let archive = try await BackupArchive.read(from: store, backup: "layout")
            let first = try #require(archive.entries.first)
            #expect(first.name == "metadata/version")
            #expect(first.contents == Array("1.1.0\n".utf8))
            #expect(archive.entries.allSatisfy { $0.isRegularFile })
            let discovery = try await client.discovery()
            var legacy: [String: [UInt8]] = [:]
            var copies: [String: [UInt8]] = [:]
            for entry in archive.entries.dropFirst() {
                let location = try #require(TarballPaths.parse(entry.name), "unexpected path \(entry.name)")
                let object = try KubeObject(parsing: entry.contents)
                #expect(object.name == location.name)
                #expect(object.namespace == location.namespace, "\(entry.name)")
                let key = BackupArchive.key(location.groupResource, location.namespace, location.name)
                if let version = location.version {
                    #expect(location.isPreferredVersion)
                    let resource = try #require(
                        discovery.preferredResources.first { $0.groupResource == location.groupResource }
                    )
                    #expect(version == resource.version, "\(entry.name)")
                    copies[key] = entry.contents
                } else {
                    legacy[key] = entry.contents
                }
            }
            #expect(legacy == copies, "every item has an identical <version>-preferredversion copy")
            // The sandbox's controllers make the Deployment's ReplicaSet and Pod (`front-<hash>…`), in the
            // backup or not yet, depending on timing: left out here.
            let controllerMade = ["replicasets.apps shop/front-", "pods shop/front-"]
            #expect(
                Set(legacy.keys.filter { key in !controllerMade.contains { key.hasPrefix($0) } }) == [
                    "configmaps shop/prices", "secrets shop/token", "deployments.apps shop/front",
                    "serviceaccounts shop/default",
                    "namespaces shop",
                ]
            )
            #expect(
                archive.entries.contains {
                    $0.name == "resources/deployments.apps/v1-preferredversion/namespaces/shop/front.json"
                }
            )
            #expect(archive.entries.contains { $0.name == "resources/namespaces/cluster/shop.json" })

            // velero-backup.json
            let stored = try #require(try await store.backup(named: "layout"))
            let status = try #require(stored.status)
            #expect(stored.apiVersion == "velero.io/v1" && stored.kind == "Backup")
            #expect(stored.metadata.name == "layout" && stored.metadata.namespace == "velero")
            #expect(stored.spec.includedNamespaces == ["shop"] && stored.spec.ttl == "1h30m0s")
            #expect(status.phase == BackupPhase.completed)
            #expect(status.version == 1)
            #expect(status.formatVersion == "1.1.0")
            #expect(status.errors ?? 0 == 0 && status.warnings ?? 0 == 0)
            #expect(status.progress?.totalItems == legacy.count && status.progress?.itemsBackedUp == legacy.count)
            let formatter = ISO8601DateFormatter()
            let start = try #require(status.startTimestamp.flatMap(formatter.date(from:)))
            let completion = try #require(status.completionTimestamp.flatMap(formatter.date(from:)))
            let expiration = try #require(status.expiration.flatMap(formatter.date(from:)))
            #expect(start >= before.addingTimeInterval(-1) && start <= completion)
            #expect(expiration.timeIntervalSince(start) == 5400)
            // The file holds the run's status as Go writes it (zero counts omitted).
            #expect(try stored.goJSON()["status"] == result.goJSON()["status"])
            let raw = try #require(try await memory.getDataIfPresent("cluster-a/backups/layout/velero-backup.json"))
            let json = try JSONValue(parsing: raw)
            #expect(json["status"]?["phase"]?.stringValue == "Completed")
            // As Velero writes it: apimachinery's pretty JSON (2-space indent, Go field order, no final newline),
            // with what Velero's server sets on the Backup.
            let bytes = Array(raw.readableBytesView)
            let head = "{\n  \"kind\": \"Backup\",\n  \"apiVersion\": \"velero.io/v1\",\n  \"metadata\": {\n"
            #expect(bytes.starts(with: Array(head.utf8)))
            #expect(bytes.last == UInt8(ascii: "}"))
            #expect(try stored.veleroBackupJSON() == bytes)
            let version = try await client.serverVersion()
            #expect(
                stored.metadata.annotations == [
                    "velero.io/source-cluster-k8s-gitversion": version.gitVersion,
                    "velero.io/source-cluster-k8s-major-version": version.major,
                    "velero.io/source-cluster-k8s-minor-version": version.minor,
                    "velero.io/resource-timeout": "10m0s",
                ]
            )
            #expect(stored.metadata.labels == ["velero.io/storage-location": "default"])
            #expect(stored.metadata.uid?.isEmpty == false && stored.metadata.creationTimestamp != nil)
            #expect(stored.spec.storageLocation == "default" && stored.spec.csiSnapshotTimeout == "10m0s")
            #expect(stored.spec.itemOperationTimeout == "4h0m0s" && stored.spec.snapshotMoveData == false)
            #expect(stored.spec.defaultVolumesToFsBackup == false && stored.spec.hooks == .object([:]))
            #expect(stored.spec.volumeGroupSnapshotLabelKey == "velero.io/volume-group")
            #expect(result.status?.hookStatus == BackupStatus.HookStatus())
            #expect(json["status"]?["errors"] == nil && json["status"]?["hookStatus"] == .object([:]))

            // Side files.
            let listBytes = try #require(try await store.gunzipped(store.layout.backupResourceList("layout")))
            let resourceList = try JSONValue(parsing: listBytes)
            var expected: [String: [String]] = [:]
            for (key, bytes) in legacy {
                let object = try KubeObject(parsing: bytes)
                let entry = object.namespace.map { "\($0)/\(object.name ?? "")" } ?? (object.name ?? "")
                expected["\(object.apiVersion ?? "")/\(object.kind ?? "")", default: []].append(entry)
                _ = key
            }
            var actual: [String: [String]] = [:]
            for (kind, names) in resourceList.objectValue ?? [:] {
                actual[kind] = names.arrayValue?.compactMap(\.stringValue)
            }
            #expect(actual == expected.mapValues { $0.sorted() })
            #expect(actual["apps/v1/Deployment"] == ["shop/front"])
            #expect(actual["v1/Namespace"] == ["shop"])
            let results = try #require(try await store.backupResults(of: "layout"))
            #expect(results.errors.isEmpty && results.warnings.isEmpty)
            // With nothing to list, Velero writes `null` for its nil lists and `[]` for the ones it makes empty.
            for (file, nothing) in [
                ("volumesnapshots.json.gz", "null\n"), ("podvolumebackups.json.gz", "null\n"),
                ("itemoperations.json.gz", "[]\n"), ("volumeinfo.json.gz", "[]\n"),
            ] {
                let bytes = try #require(try await store.gunzipped("cluster-a/backups/layout/layout-\(file)"))
                #expect(String(decoding: bytes, as: UTF8.self) == nothing, "\(file)")
            }
            let log = try #require(try await store.gunzipped(store.layout.backupLog("layout")))
            #expect(String(decoding: log, as: UTF8.self).contains("layout"))

            // The Backup CR was recorded in the cluster (the velero.io CRDs exist in the sandbox).
            let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
            let cr = try await client.get(backups, namespace: "velero", name: "layout")
            #expect(cr["status"]?["phase"]?.stringValue == "Completed")
            #expect(cr["status"]?["progress"]?["itemsBackedUp"]?.intValue == Int64(legacy.count))
        }
    }

    /// The value with object keys sorted at every level (JSON objects are unordered; Velero's `json.Marshal`
    /// sorts keys, the API server does not).
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var sorted = JSONObject()
            for key in object.keys.sorted() { sorted[key] = object[key].map(canonical) }
            return .object(sorted)
        case .array(let array):
            return .array(array.map(canonical))
        default:
            return value
        }
    }

    @Test func storedObjectsEqualWhatTheAPIReturned() async throws {
        try await withSandbox { _, client in
            let fixture = try await BackupFixture.populate(client)
            var spec = BackupSpec()
            spec.excludedResources = ["nodes", "events", "leases"]
            let (backup, archive) = try await T.backUp(client, spec: spec, name: "fidelity")
            #expect(backup.status?.phase == BackupPhase.completed)

            let discovery = try await client.discovery()
            var byGroupResource: [String: APIResource] = [:]
            for resource in discovery.preferredResources { byGroupResource[resource.groupResource] = resource }
            var compared = 0
            for location in archive.itemLocations {
                let entry = try #require(
                    archive.entries.first {
                        $0.name
                            == TarballPaths.item(
                                groupResource: location.groupResource,
                                namespace: location.namespace,
                                name: location.name
                            )
                    }
                )
                let stored = try KubeObject(parsing: entry.contents)
                let resource = try #require(
                    byGroupResource[location.groupResource],
                    "\(location.groupResource) is served"
                )
                var live = try await client.get(resource.gvr, namespace: location.namespace, name: location.name)
                if location.groupResource == "persistentvolumeclaims" {
                    live = BackupItemActions.persistentVolumeClaim(live, backupName: "fidelity").0
                }
                #expect(Self.canonical(stored.value) == Self.canonical(live.value), "\(entry.name) differs from GET")
                compared += 1
            }
            #expect(compared > 30)
            #expect(archive.keys.contains("persistentvolumes \(fixture.volumeName)"))

            // Velero's order: pods, then their PVCs and PVs, before the rest of the core group.
            let order = archive.itemLocations.map(\.groupResource)
            let firstPod = try #require(order.firstIndex(of: "pods"))
            let firstConfigMap = try #require(order.firstIndex(of: "configmaps"))
            let firstVolume = try #require(order.firstIndex(of: "persistentvolumes"))
            #expect(firstPod < firstVolume && firstVolume < firstConfigMap)
        }
    }
}
