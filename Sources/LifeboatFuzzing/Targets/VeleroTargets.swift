import BackupEngine
import Foundation
import ObjectStorage
import VeleroAPI

/// `velero-backup.json`: read through `BackupStore.backup(named:)` (what `backup get`, sync and restore read),
/// then written back, as backup sync does when it recreates the Backup resource.
enum VeleroTargets {
    static let backupJSON = FuzzTarget(
        name: "velero-backup-json",
        summary: "velero-backup.json read by BackupStore, then re-encoded",
        defaultRuns: 8_000,
        mutator: Mutator(
            maximumSize: 1 << 20,
            textAware: true,
            dictionary: [
                "\"metadata\"", "\"spec\"", "\"status\"", "\"phase\"", "\"ttl\"", "\"labelSelector\"",
                "\"matchExpressions\"", "\"hooks\"", "\"resources\"", "\"creationTimestamp\"", "\"ownerReferences\"",
                "\"2026-13-45T25:61:61Z\"", "\"720h0m0s\"", "\"-1h\"", "\"9999999999h\"", "\"expiration\"",
            ]
        ),
        corpus: { try [Array(fixtureBackup.utf8), minimalBackup()] },
        run: { input in
            let store = BackupStore(store: MemoryObjectStore(), prefix: "fuzz")
            try await store.store.putData(store.layout.backupMetadata("b"), bytes: input)
            guard let backup = try await store.backup(named: "b") else { return }
            _ = try JSONEncoder().encode(backup)
        }
    )

    static func minimalBackup() throws -> [UInt8] {
        let backup = Backup(metadata: ObjectMeta(name: "b", namespace: "velero"))
        return Array(try JSONEncoder().encode(backup))
    }

    /// The Backup of `Tests/VeleroAPITests/Fixtures.swift` (every field Velero 1.18 writes).
    static let fixtureBackup = """
        {"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"nightly-20260101020000","namespace":"velero",
        "uid":"5b0e5a43-2f4c-4a63-9a5f-6c1d3f1e0d11","resourceVersion":"81234","generation":3,
        "creationTimestamp":"2026-01-01T02:00:00Z",
        "labels":{"velero.io/schedule-name":"nightly","velero.io/storage-location":"default"},
        "annotations":{"velero.io/source-cluster-k8s-gitversion":"v1.33.1",
        "velero.io/source-cluster-k8s-major-version":"1",
        "velero.io/source-cluster-k8s-minor-version":"33","velero.io/resource-timeout":"10m0s"}},
        "spec":{"metadata":{"labels":{"team":"payments"}},"includedNamespaces":["shop","payments"],
        "excludedNamespaces":["kube-system"],"includedResources":["*"],"excludedResources":["events"],
        "includedClusterScopedResources":["persistentvolumes"],"excludedClusterScopedResources":["nodes"],
        "includedNamespaceScopedResources":["deployments","configmaps"],"excludedNamespaceScopedResources":["pods"],
        "labelSelector":{"matchLabels":{"app":"shop"},"matchExpressions":[{"key":"tier","operator":"In",
        "values":["web","db"]}]},"orLabelSelectors":[{"matchLabels":{"backup":"yes"}}],"snapshotVolumes":true,
        "ttl":"720h0m0s","includeClusterResources":false,"hooks":{"resources":[{"name":"freeze",
        "includedNamespaces":["shop"],"pre":[{"exec":{"container":"db","command":["/sbin/fsfreeze","--freeze","/data"],
        "onError":"Fail","timeout":"30s"}}]}]},"storageLocation":"default","volumeSnapshotLocations":["aws-default"],
        "defaultVolumesToFsBackup":true,"orderedResources":{"pods":"shop/web-0,shop/web-1"},
        "csiSnapshotTimeout":"10m0s","itemOperationTimeout":"4h0m0s","resourcePolicy":{"kind":"configmap",
        "name":"backup-policy"},"snapshotMoveData":true,"datamover":"velero","uploaderConfig":{"parallelFilesUpload":4},
        "volumeGroupSnapshotLabelKey":"velero.io/volume-group"},
        "status":{"version":1,"formatVersion":"1.1.0","expiration":"2026-01-31T02:00:00Z","phase":"Completed",
        "queuePosition":0,"startTimestamp":"2026-01-01T02:00:01Z","completionTimestamp":"2026-01-01T02:03:12Z",
        "volumeSnapshotsAttempted":2,"volumeSnapshotsCompleted":2,"warnings":1,"errors":0,
        "progress":{"totalItems":412,"itemsBackedUp":412},"csiVolumeSnapshotsAttempted":2,
        "csiVolumeSnapshotsCompleted":2,"backupItemOperationsAttempted":2,"backupItemOperationsCompleted":2,
        "hookStatus":{"hooksAttempted":1,"hooksFailed":0}}}
        """
}
