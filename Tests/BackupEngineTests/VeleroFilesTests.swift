import Foundation
import KubeSandboxTesting
import Kubernetes
import NIOCore
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

/// The files a backup leaves in the bucket are byte for byte what Velero v1.18.1 writes for the same content.
struct VeleroFilesTests {
    // MARK: - velero-backup.json

    /// A Backup CR as the API server hands it to Velero's backup controller (`velero backup create nightly-web
    /// --include-namespaces shop,web --exclude-resources secrets --selector app=web,tier=front --ttl 72h
    /// --snapshot-volumes=false`, plus an ordered-resources map, a resource policy, a pre hook and an annotation
    /// with HTML characters).
    static let createdBackup = """
        {"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"annotations":{"note":"a<b && c>d"},
        "creationTimestamp":"2026-01-01T02:00:00Z","labels":{"app.kubernetes.io/part-of":"shop"},
        "name":"nightly-web","namespace":"velero","uid":"6f1f9a52-0d1e-4b8e-9d2a-3b9c1e7a4f10"},
        "spec":{"excludedResources":["secrets"],"hooks":{"resources":[{"includedNamespaces":["shop"],
        "name":"freeze","pre":[{"exec":{"command":["/bin/sync"],"container":"app"}}]}]},
        "includedNamespaces":["shop","web"],"labelSelector":{"matchLabels":{"tier":"front","app":"web"}},
        "orderedResources":{"pods":"shop/b,shop/a","persistentvolumes":"pv-1"},
        "resourcePolicy":{"kind":"configmap","name":"policies"},"snapshotVolumes":false,"ttl":"72h"}}
        """

    /// What Velero v1.18.1 writes to `velero-backup.json` for ``createdBackup``, worked out from its code:
    /// `prepareBackupRequest` (`pkg/controller/backup_controller.go`) with the server's default flags sets `ttl`
    /// in Go's form, `volumeGroupSnapshotLabelKey`, both timeouts, `defaultVolumesToFsBackup`, `snapshotMoveData`,
    /// `storageLocation`, the storage-location label and the four annotations; the backupper sets `status.progress`
    /// and `status.hookStatus`; `encode.To(backup, "json")` writes `json.MarshalIndent(backup, "", "  ")` over
    /// `pkg/apis/velero/v1/backup_types.go`: Go field order, map keys sorted, zero `errors`/`warnings` and
    /// `hooksFailed` omitted, `spec.metadata: {}`, hook `timeout: "0s"`, `apiGroup: null` (a pointer without
    /// `omitempty`), `<`, `>`, `&` escaped, no trailing newline.
    static let expectedBackupJSON = #"""
        {
          "kind": "Backup",
          "apiVersion": "velero.io/v1",
          "metadata": {
            "name": "nightly-web",
            "namespace": "velero",
            "uid": "6f1f9a52-0d1e-4b8e-9d2a-3b9c1e7a4f10",
            "creationTimestamp": "2026-01-01T02:00:00Z",
            "labels": {
              "app.kubernetes.io/part-of": "shop",
              "velero.io/storage-location": "default"
            },
            "annotations": {
              "note": "a\u003cb \u0026\u0026 c\u003ed",
              "velero.io/resource-timeout": "10m0s",
              "velero.io/source-cluster-k8s-gitversion": "v1.34.1",
              "velero.io/source-cluster-k8s-major-version": "1",
              "velero.io/source-cluster-k8s-minor-version": "34"
            }
          },
          "spec": {
            "metadata": {},
            "includedNamespaces": [
              "shop",
              "web"
            ],
            "excludedResources": [
              "secrets"
            ],
            "labelSelector": {
              "matchLabels": {
                "app": "web",
                "tier": "front"
              }
            },
            "snapshotVolumes": false,
            "ttl": "72h0m0s",
            "volumeGroupSnapshotLabelKey": "velero.io/volume-group",
            "hooks": {
              "resources": [
                {
                  "name": "freeze",
                  "includedNamespaces": [
                    "shop"
                  ],
                  "pre": [
                    {
                      "exec": {
                        "container": "app",
                        "command": [
                          "/bin/sync"
                        ],
                        "timeout": "0s"
                      }
                    }
                  ]
                }
              ]
            },
            "storageLocation": "default",
            "defaultVolumesToFsBackup": false,
            "orderedResources": {
              "persistentvolumes": "pv-1",
              "pods": "shop/b,shop/a"
            },
            "csiSnapshotTimeout": "10m0s",
            "itemOperationTimeout": "4h0m0s",
            "resourcePolicy": {
              "apiGroup": null,
              "kind": "configmap",
              "name": "policies"
            },
            "snapshotMoveData": false
          },
          "status": {
            "version": 1,
            "formatVersion": "1.1.0",
            "expiration": "2026-01-04T02:00:00Z",
            "phase": "Completed",
            "startTimestamp": "2026-01-01T02:00:00Z",
            "completionTimestamp": "2026-01-01T02:00:07Z",
            "progress": {
              "totalItems": 12,
              "itemsBackedUp": 12
            },
            "hookStatus": {
              "hooksAttempted": 1
            }
          }
        }
        """#

    /// The Backup as BackupRunner finishes it: Velero's server defaults, then the final status.
    static func finishedBackup() throws -> Backup {
        var backup = try JSONDecoder().decode(Backup.self, from: Data(createdBackup.utf8))
        let version = ServerVersion(["major": "1", "minor": "34", "gitVersion": "v1.34.1", "platform": "linux/amd64"])
        let ttl = try #require(backup.spec.ttl.flatMap(GoDuration.parse))
        BackupRunner.ServerDefaults().apply(to: &backup, ttl: ttl, serverVersion: version)
        BackupRunner.ServerDefaults.applyObjectIdentity(to: &backup, createdAt: Date())
        var status = BackupStatus(phase: BackupPhase.completed)
        status.version = 1
        status.formatVersion = TarballPaths.formatVersion
        status.startTimestamp = "2026-01-01T02:00:00Z"
        status.expiration = "2026-01-04T02:00:00Z"
        status.completionTimestamp = "2026-01-01T02:00:07Z"
        status.progress = BackupStatus.Progress(totalItems: 12, itemsBackedUp: 12)
        status.errors = 0
        status.warnings = 0
        status.hookStatus = BackupStatus.HookStatus(hooksAttempted: 1, hooksFailed: 0)
        backup.status = status
        return backup
    }

    @Test func backupMetadataIsWhatVeleroWrites() async throws {
        let memory = MemoryObjectStore()
        let store = BackupStore(store: memory, prefix: "velero")
        let backup = try Self.finishedBackup()
        try await store.putBackupMetadata(backup)
        let written = try await memory.getData("velero/backups/nightly-web/velero-backup.json")
        let text = String(decoding: written.readableBytesView, as: UTF8.self)
        #expect(text == Self.expectedBackupJSON)
        #expect(Array(written.readableBytesView) == Array(Self.expectedBackupJSON.utf8))
        // Read back and written again, it gives the same bytes.
        let stored = try #require(try await store.backup(named: "nightly-web"))
        #expect(try stored.veleroBackupJSON() == Array(written.readableBytesView))
    }

    @Test func serverDefaultsKeepWhatTheSpecSets() throws {
        var backup = Backup(metadata: ObjectMeta(name: "b"))
        backup.spec.csiSnapshotTimeout = "90s"
        backup.spec.itemOperationTimeout = "0s"
        backup.spec.storageLocation = "secondary"
        backup.spec.defaultVolumesToRestic = true
        backup.spec.snapshotMoveData = true
        backup.spec.volumeGroupSnapshotLabelKey = "group"
        BackupRunner.ServerDefaults().apply(to: &backup, ttl: .seconds(3600), serverVersion: nil)
        #expect(backup.spec.ttl == "1h0m0s")
        #expect(backup.spec.csiSnapshotTimeout == "1m30s")
        #expect(backup.spec.itemOperationTimeout == "4h0m0s", "a zero timeout takes the default, as in Velero")
        #expect(backup.spec.storageLocation == "secondary")
        #expect(backup.spec.defaultVolumesToFsBackup == true)
        #expect(backup.spec.snapshotMoveData == true)
        #expect(backup.spec.volumeGroupSnapshotLabelKey == "group")
        #expect(backup.metadata.labels == [VeleroLabels.storageLocation: "secondary"])
        #expect(backup.metadata.annotations == ["velero.io/resource-timeout": "10m0s"])
    }

    /// Velero's server appends the namespaces labelled `velero.io/exclude-from-backup=true` to
    /// `spec.excludedNamespaces`: the stored spec names them and nothing in them is backed up.
    @Test func namespacesLabelledOutAreExcludedInTheSpec() async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("keep")
            try await client.createNamespaceAndWait("skip", labels: [VeleroLabels.excludeFromBackup: "true"])
            for namespace in ["keep", "skip"] {
                _ = try await client.create(
                    .configMaps,
                    try BackupTestCluster.object([
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": ["name": "settings", "namespace": .string(namespace)],
                    ])
                )
            }
            var spec = BackupSpec()
            spec.excludedNamespaces = ["kube-system"]
            let store = BackupStore(store: MemoryObjectStore(), prefix: nil)
            let (backup, archive) = try await BackupTestCluster.backUp(
                client,
                spec: spec,
                name: "labelled",
                store: store
            )
            #expect(backup.spec.excludedNamespaces == ["kube-system", "skip"])
            #expect(try await store.backup(named: "labelled")?.spec.excludedNamespaces == ["kube-system", "skip"])
            #expect(archive.names("configmaps").contains("keep/settings"))
            #expect(!archive.names("configmaps").contains("skip/settings"))
            #expect(!archive.names("namespaces").contains("skip"))
        }
    }

    // MARK: - public files

    /// Each public file decodes, and Lifeboat's writer gives back exactly its bytes. Their `managedFields` are not
    /// modelled by ``ObjectMeta``: they come back through the Backup's preserved JSON.
    @Test(arguments: [PublicVeleroBackups.aksBackup, PublicVeleroBackups.santricityBackup])
    func publicVeleroBackupsRoundTrip(_ file: String) throws {
        let backup = try JSONDecoder().decode(Backup.self, from: Data(file.utf8))
        #expect(backup.status?.phase == BackupPhase.completed)
        #expect(
            backup.metadata.annotations?[BackupRunner.ServerDefaults.gitVersionAnnotation]?.hasPrefix("v1.") == true
        )
        let rewritten = try backup.veleroBackupJSON()
        #expect(String(decoding: rewritten, as: UTF8.self) == file)
        #expect(rewritten == Array(file.utf8))
        let managedFields = try backup.goJSON()["metadata"]?["managedFields"]?.arrayValue
        #expect(managedFields?.count == 2)
    }

    @Test func publicVeleroBackupsHaveTheListedSizes() {
        #expect(PublicVeleroBackups.aksBackup.utf8.count == 3911)
        #expect(PublicVeleroBackups.santricityBackup.utf8.count == 3727)
    }

    @Test func goShapeOmitsAndOrdersLikeGo() throws {
        var backup = Backup(metadata: ObjectMeta(name: "plain", namespace: "velero"))
        backup.spec.includedNamespaces = []
        backup.spec.storageLocation = ""
        let text = String(decoding: try backup.veleroBackupJSON(), as: UTF8.self)
        #expect(
            text == """
                {
                  "kind": "Backup",
                  "apiVersion": "velero.io/v1",
                  "metadata": {
                    "name": "plain",
                    "namespace": "velero",
                    "creationTimestamp": null
                  },
                  "spec": {
                    "metadata": {},
                    "ttl": "0s",
                    "hooks": {},
                    "csiSnapshotTimeout": "0s",
                    "itemOperationTimeout": "0s"
                  },
                  "status": {}
                }
                """
        )
    }

    // MARK: - side files

    @Test func sideFilesWithNothingToListAreWhatVeleroWrites() throws {
        #expect(VeleroSideFiles.nativeVolumeSnapshots == Array("null\n".utf8))
        #expect(VeleroSideFiles.itemOperations == Array("[]\n".utf8))
        #expect(try VeleroSideFiles.podVolumeBackups([]) == Array("null\n".utf8))
        #expect(try GzipDecompressor.decompress(BackedUpItems().resourceListFile()) == Array("{}\n".utf8))
        #expect(try GzipDecompressor.decompress(RestoreReport.Entries().resourceListFile()) == Array("{}\n".utf8))
        #expect(VeleroSideFiles.results(Results()) == Array(#"{"errors":{},"warnings":{}}"#.utf8 + [0x0A]))
        #expect(try VeleroSideFiles.volumeInfos([]) == Array("[]\n".utf8))
    }

    @Test func resultsAreInGoOrderWithGoEscaping() {
        var errors = BackupEngine.Result()
        errors.add(namespace: "web", "pod <a> & b failed")
        errors.add(namespace: "api", "x")
        errors.add(namespace: nil, "node gone")
        errors.addVelero("upload")
        var warnings = BackupEngine.Result()
        warnings.addVelero("slow")
        let text = String(decoding: VeleroSideFiles.results(Results(errors: errors, warnings: warnings)), as: UTF8.self)
        #expect(
            text
                == #"{"errors":{"velero":["upload"],"cluster":["node gone"],"namespaces":{"api":["x"],"#
                + #""web":["pod \u003ca\u003e \u0026 b failed"]}},"warnings":{"velero":["slow"]}}"# + "\n"
        )
    }

    @Test func resourceListSortsLikeGo() throws {
        var items = BackedUpItems()
        func add(_ groupResource: String, _ namespace: String?, _ name: String, _ apiVersion: String, _ kind: String) {
            items.insert(
                ItemReference(groupResource: groupResource, namespace: namespace, name: name),
                apiVersion: apiVersion,
                kind: kind
            )
        }
        add("pods", "shop", "a", "v1", "Pod")
        add("deployments.apps", "shop", "web", "apps/v1", "Deployment")
        add("namespaces", nil, "shop", "v1", "Namespace")
        // Bytes order, as Go's sort.Strings: "-" (0x2d) before "/" (0x2f), upper case before lower case.
        add("pods", "shop-b", "x", "v1", "Pod")
        add("pods", "Shop", "x", "v1", "Pod")
        // An item without a namespace among namespaced ones orders by its whole line too.
        add("pods", nil, "shop-a", "v1", "Pod")
        add("pods", "shop", "a-longer-name", "v1", "Pod")
        #expect(
            String(decoding: try GzipDecompressor.decompress(items.resourceListFile()), as: UTF8.self)
                == #"{"apps/v1/Deployment":["shop/web"],"v1/Namespace":["shop"],"#
                + #""v1/Pod":["Shop/x","shop-a","shop-b/x","shop/a","shop/a-longer-name"]}"# + "\n"
        )
    }

    /// Velero's `BackupVolumeInfo` for a file-system backup and a skipped volume
    /// (`internal/volume/volumes_information.go`): Go field order, `snapshotDataMoved`, `preserveLocalSnapshot`,
    /// `skipped` always written, `pvbInfo.Phase` with Go's untagged name, PV labels sorted.
    @Test func volumeInfoIsVelerosFormat() throws {
        var skipped = BackupVolumeInfo()
        skipped.pvcName = "data"
        skipped.pvcNamespace = "shop"
        skipped.pvName = "pv-1"
        skipped.skipped = true
        skipped.skippedReason = "no applicable volume policy"
        skipped.pvInfo = .init(reclaimPolicy: "Delete", labels: ["zone": "b", "app": "db"])
        var backedUp = BackupVolumeInfo()
        backedUp.backupMethod = BackupVolumeInfo.podVolumeBackupMethod
        backedUp.startTimestamp = "2026-01-01T02:00:01Z"
        backedUp.completionTimestamp = "2026-01-01T02:00:03Z"
        backedUp.result = "succeeded"
        var pvb = BackupVolumeInfo.PodVolumeInfo(
            uploaderType: "kopia",
            volumeName: "cache",
            podName: "web-0",
            podNamespace: "shop",
            phase: "Completed"
        )
        pvb.snapshotHandle = "k1"
        pvb.size = 42
        pvb.nodeName = "node-1"
        backedUp.pvbInfo = pvb
        let text = String(decoding: try VeleroSideFiles.volumeInfos([skipped, backedUp]), as: UTF8.self)
        #expect(
            text
                == #"[{"pvcName":"data","pvcNamespace":"shop","pvName":"pv-1","snapshotDataMoved":false,"#
                + #""preserveLocalSnapshot":false,"skipped":true,"skippedReason":"no applicable volume policy","#
                + #""pvInfo":{"reclaimPolicy":"Delete","labels":{"app":"db","zone":"b"}}},"#
                + #"{"backupMethod":"PodVolumeBackup","snapshotDataMoved":false,"preserveLocalSnapshot":false,"#
                + #""skipped":false,"startTimestamp":"2026-01-01T02:00:01Z","#
                + #""completionTimestamp":"2026-01-01T02:00:03Z","result":"succeeded","#
                + #""pvbInfo":{"snapshotHandle":"k1","size":42,"uploaderType":"kopia","volumeName":"cache","#
                + #""podName":"web-0","podNamespace":"shop","nodeName":"node-1","Phase":"Completed"}}]"# + "\n"
        )
    }

    /// A PodVolumeBackup in `-podvolumebackups.json.gz` has Go's field order (TypeMeta, ObjectMeta, spec, status).
    @Test func podVolumeBackupsAreInGoOrder() throws {
        var pvb = PodVolumeBackup(
            metadata: ObjectMeta(name: "nightly-x1", namespace: "velero", labels: ["velero.io/backup-name": "nightly"]),
            spec: PodVolumeBackup.Spec(
                node: "node-1",
                pod: ObjectReference(kind: "Pod", namespace: "shop", name: "web-0", uid: "u1"),
                volume: "cache",
                backupStorageLocation: "default",
                repoIdentifier: ""
            )
        )
        pvb.spec.uploaderType = "kopia"
        pvb.metadata.creationTimestamp = "2026-01-01T02:00:01Z"
        var status = PodVolumeBackup.Status()
        status.phase = "Completed"
        status.snapshotID = "k1"
        pvb.status = status
        let text = String(decoding: try VeleroSideFiles.podVolumeBackups([pvb]), as: UTF8.self)
        #expect(
            text
                == #"[{"kind":"PodVolumeBackup","apiVersion":"velero.io/v1","metadata":{"name":"nightly-x1","#
                + #""namespace":"velero","creationTimestamp":"2026-01-01T02:00:01Z","#
                + #""labels":{"velero.io/backup-name":"nightly"}},"spec":{"node":"node-1","#
                + #""pod":{"kind":"Pod","namespace":"shop","name":"web-0","uid":"u1"},"volume":"cache","#
                + #""backupStorageLocation":"default","repoIdentifier":"","uploaderType":"kopia"},"#
                + #""status":{"phase":"Completed","snapshotID":"k1","progress":{}}}]"# + "\n"
        )
    }
}
