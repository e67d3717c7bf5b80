/// Realistic objects of each velero.io kind, as Velero 1.18 writes them (every field here is one the typed values
/// know, so re-encoding them without the preserved JSON must give them back).
enum Fixtures {
    static let backup = """
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

    static let restore = """
        {"apiVersion":"velero.io/v1","kind":"Restore","metadata":{"name":"nightly-restore","namespace":"velero",
        "uid":"0d4c1d3e-1111-4c2e-9bbb-3a2f6a1d2e33","resourceVersion":"90001","generation":2,
        "creationTimestamp":"2026-01-02T09:00:00Z","labels":{"velero.io/backup-name":"nightly-20260101020000"}},
        "spec":{"backupName":"nightly-20260101020000","includedNamespaces":["shop"],"excludedResources":["nodes",
        "events","events.events.k8s.io","backups.velero.io","restores.velero.io","resticrepositories.velero.io",
        "csinodes.storage.k8s.io","volumeattachments.storage.k8s.io","backuprepositories.velero.io"],
        "namespaceMapping":{"shop":"shop-copy"},"labelSelector":{"matchLabels":{"app":"shop"}},"restorePVs":true,
        "restoreStatus":{"includedResources":["deployments"]},"preserveNodePorts":true,"includeClusterResources":true,
        "hooks":{"resources":[{"name":"warm","postHooks":[{"exec":{"container":"web","command":["/bin/warm"],
        "waitTimeout":"5m","execTimeout":"1m","onError":"Continue","waitForReady":true}}]}]},
        "existingResourcePolicy":"update","itemOperationTimeout":"4h0m0s",
        "resourceModifier":{"apiGroup":"","kind":"ConfigMap","name":"modifiers"},
        "uploaderConfig":{"writeSparseFiles":true,"parallelFilesDownload":8}},
        "status":{"phase":"PartiallyFailed","warnings":3,"errors":1,"startTimestamp":"2026-01-02T09:00:01Z",
        "completionTimestamp":"2026-01-02T09:01:40Z","progress":{"totalItems":120,"itemsRestored":120},
        "restoreItemOperationsAttempted":1,"restoreItemOperationsCompleted":1,
        "hookStatus":{"hooksAttempted":1,"hooksFailed":1}}}
        """

    static let schedule = """
        {"apiVersion":"velero.io/v1","kind":"Schedule","metadata":{"name":"nightly","namespace":"velero",
        "uid":"8f1e2c3d-aaaa-4bbb-8ccc-0d1e2f3a4b5c","resourceVersion":"700","generation":1,
        "creationTimestamp":"2025-12-01T00:00:00Z"},
        "spec":{"template":{"includedNamespaces":["*"],"ttl":"720h0m0s","storageLocation":"default",
        "snapshotMoveData":true,"csiSnapshotTimeout":"10m0s"},"schedule":"0 2 * * *","useOwnerReferencesInBackup":false,
        "paused":false,"skipImmediately":true},
        "status":{"phase":"Enabled","lastBackup":"2026-01-01T02:00:00Z","lastSkipped":"2025-12-01T00:00:00Z"}}
        """

    static let backupStorageLocation = """
        {"apiVersion":"velero.io/v1","kind":"BackupStorageLocation","metadata":{"name":"default","namespace":"velero",
        "uid":"11111111-2222-4333-8444-555555555555","resourceVersion":"12","generation":1,
        "creationTimestamp":"2025-11-30T10:00:00Z","labels":{"component":"velero"}},
        "spec":{"provider":"aws","config":{"region":"eu-west-1","s3ForcePathStyle":"true",
        "s3Url":"https://minio.example:9000"},"credential":{"name":"cloud-credentials","key":"cloud"},
        "objectStorage":{"bucket":"velero-backups","prefix":"cluster-a","caCert":"LS0tLS1CRUdJTg=="},"default":true,
        "accessMode":"ReadWrite","backupSyncPeriod":"1m0s","validationFrequency":"1m0s"},
        "status":{"phase":"Available","lastSyncedTime":"2026-01-02T09:10:00Z",
        "lastValidationTime":"2026-01-02T09:10:00Z",
        "message":"","lastSyncedRevision":"8a1f0d3c-1c4e-4e4f-a1d2-f0e9d8c7b6a5"}}
        """

    static let volumeSnapshotLocation = """
        {"apiVersion":"velero.io/v1","kind":"VolumeSnapshotLocation","metadata":{"name":"aws-default",
        "namespace":"velero","uid":"22222222-3333-4444-8555-666666666666","resourceVersion":"14","generation":1,
        "creationTimestamp":"2025-11-30T10:00:00Z"},
        "spec":{"provider":"aws","config":{"region":"eu-west-1"},"credential":{"name":"cloud-credentials",
        "key":"cloud"}},"status":{"phase":"Available"}}
        """

    static let deleteBackupRequest = """
        {"apiVersion":"velero.io/v1","kind":"DeleteBackupRequest","metadata":{"generateName":"nightly-20260101020000-",
        "name":"nightly-20260101020000-x7k2p","namespace":"velero","uid":"33333333-4444-4555-8666-777777777777",
        "resourceVersion":"91000","generation":1,"creationTimestamp":"2026-01-03T00:00:00Z",
        "labels":{"velero.io/backup-name":"nightly-20260101020000",
        "velero.io/backup-uid":"5b0e5a43-2f4c-4a63-9a5f-6c1d3f1e0d11"}},
        "spec":{"backupName":"nightly-20260101020000"},
        "status":{"phase":"Processed","errors":["error deleting snapshot vol-1: not found"]}}
        """

    static let downloadRequest = """
        {"apiVersion":"velero.io/v1","kind":"DownloadRequest","metadata":{"name":"nightly-log-q9w8e",
        "namespace":"velero","uid":"44444444-5555-4666-8777-888888888888","resourceVersion":"91100","generation":1,
        "creationTimestamp":"2026-01-03T00:01:00Z"},
        "spec":{"target":{"kind":"BackupLog","name":"nightly-20260101020000"}},
        "status":{"phase":"Processed",
        "downloadURL":"https://velero-backups.s3.amazonaws.com/backups/x?X-Amz-Signature=abc",
        "expiration":"2026-01-03T00:11:00Z"}}
        """

    static let serverStatusRequest = """
        {"apiVersion":"velero.io/v1","kind":"ServerStatusRequest","metadata":{"name":"velero-cli-7d4f2",
        "namespace":"velero","uid":"55555555-6666-4777-8888-999999999999","resourceVersion":"91200","generation":1,
        "creationTimestamp":"2026-01-03T00:02:00Z"},"spec":{},
        "status":{"phase":"Processed","processedTimestamp":"2026-01-03T00:02:01Z","serverVersion":"v1.18.0",
        "plugins":[{"name":"velero.io/aws","kind":"ObjectStore"},{"name":"velero.io/pod","kind":"RestoreItemAction"}]}}
        """

    static let podVolumeBackup = """
        {"apiVersion":"velero.io/v1","kind":"PodVolumeBackup","metadata":{"generateName":"nightly-20260101020000-",
        "name":"nightly-20260101020000-5xz9q","namespace":"velero","uid":"66666666-7777-4888-8999-aaaaaaaaaaaa",
        "resourceVersion":"81500","generation":4,"creationTimestamp":"2026-01-01T02:01:00Z",
        "labels":{"velero.io/backup-name":"nightly-20260101020000",
        "velero.io/backup-uid":"5b0e5a43-2f4c-4a63-9a5f-6c1d3f1e0d11",
        "velero.io/pvc-uid":"77777777-8888-4999-8aaa-bbbbbbbbbbbb"},"finalizers":["velero.io/pod-volume-finalizer"]},
        "spec":{"node":"worker-2","pod":{"kind":"Pod","namespace":"shop","name":"db-0",
        "uid":"88888888-9999-4aaa-8bbb-cccccccccccc"},"volume":"data","backupStorageLocation":"default",
        "repoIdentifier":"","uploaderType":"kopia","tags":{"backup":"nightly-20260101020000","ns":"shop",
        "pod":"db-0","volume":"data"},"uploaderSettings":{"ParallelFilesUpload":"4"},"cancel":false},
        "status":{"phase":"Completed",
        "path":"/host_pods/88888888-9999-4aaa-8bbb-cccccccccccc/volumes/kubernetes.io~csi/pvc-1/mount",
        "snapshotID":"4f7c6d1e2b3a","startTimestamp":"2026-01-01T02:01:02Z",
        "completionTimestamp":"2026-01-01T02:02:40Z",
        "progress":{"totalBytes":1073741824,"bytesDone":1073741824},"incrementalBytes":52428800,
        "acceptedTimestamp":"2026-01-01T02:01:01Z"}}
        """

    static let podVolumeRestore = """
        {"apiVersion":"velero.io/v1","kind":"PodVolumeRestore","metadata":{"generateName":"nightly-restore-",
        "name":"nightly-restore-n3v7x","namespace":"velero","uid":"99999999-aaaa-4bbb-8ccc-dddddddddddd",
        "resourceVersion":"90200","generation":3,"creationTimestamp":"2026-01-02T09:00:30Z",
        "labels":{"velero.io/restore-name":"nightly-restore",
        "velero.io/pod-uid":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"}},
        "spec":{"pod":{"kind":"Pod","namespace":"shop-copy","name":"db-0","uid":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"},
        "volume":"data","backupStorageLocation":"default","repoIdentifier":"","uploaderType":"kopia",
        "snapshotID":"4f7c6d1e2b3a","sourceNamespace":"shop","uploaderSettings":{"WriteSparseFiles":"true"},
        "cancel":false,"snapshotSize":1073741824},
        "status":{"phase":"InProgress","startTimestamp":"2026-01-02T09:00:35Z",
        "progress":{"totalBytes":1073741824,"bytesDone":536870912},"acceptedTimestamp":"2026-01-02T09:00:31Z",
        "node":"worker-1"}}
        """

    static let backupRepository = """
        {"apiVersion":"velero.io/v1","kind":"BackupRepository","metadata":{"generateName":"shop-default-kopia-",
        "name":"shop-default-kopia-8s2kd","namespace":"velero","uid":"bbbbbbbb-cccc-4ddd-8eee-ffffffffffff",
        "resourceVersion":"81100","generation":2,"creationTimestamp":"2025-12-01T02:00:30Z",
        "labels":{"velero.io/repository-type":"kopia","velero.io/storage-location":"default",
        "velero.io/volume-namespace":"shop"}},
        "spec":{"volumeNamespace":"shop","backupStorageLocation":"default","repositoryType":"kopia",
        "resticIdentifier":"s3:https://minio.example:9000/velero-backups/cluster-a/restic/shop",
        "maintenanceFrequency":"1h0m0s","repositoryConfig":{"cacheLimitMB":"5000"}},
        "status":{"phase":"Ready","lastMaintenanceTime":"2026-01-01T03:00:00Z",
        "recentMaintenance":[{"result":"Succeeded","startTimestamp":"2026-01-01T02:59:00Z",
        "completeTimestamp":"2026-01-01T03:00:00Z"},{"result":"Failed","startTimestamp":"2025-12-31T02:59:00Z",
        "completeTimestamp":"2025-12-31T03:00:00Z","message":"repository is locked"}]}}
        """

    static let dataUpload = """
        {"apiVersion":"velero.io/v2alpha1","kind":"DataUpload","metadata":{"generateName":"nightly-20260101020000-",
        "name":"nightly-20260101020000-r2d2c","namespace":"velero","uid":"cccccccc-dddd-4eee-8fff-000000000000",
        "resourceVersion":"81700","generation":6,"creationTimestamp":"2026-01-01T02:00:40Z",
        "labels":{"velero.io/async-operation-id":"du-cccccccc-dddd-4eee-8fff-000000000000.77777777",
        "velero.io/backup-name":"nightly-20260101020000","velero.io/backup-uid":"5b0e5a43-2f4c-4a63-9a5f-6c1d3f1e0d11",
        "velero.io/pvc-uid":"77777777-8888-4999-8aaa-bbbbbbbbbbbb"},
        "finalizers":["velero.io/data-upload-download-finalizer"]},
        "spec":{"snapshotType":"CSI","csiSnapshot":{"volumeSnapshot":"velero-data-db-0-2xk4p","storageClass":"gp3",
        "snapshotClass":"csi-aws-vsc","driver":"ebs.csi.aws.com"},"sourcePVC":"data-db-0","datamover":"velero",
        "backupStorageLocation":"default","sourceNamespace":"shop","dataMoverConfig":{"uploaderType":"kopia"},
        "cancel":false,"operationTimeout":"10m0s"},
        "status":{"phase":"Completed","path":"/data-db-0","snapshotID":"k9f8e7d6c5b4","dataMoverResult":{"a":"b"},
        "message":"","startTimestamp":"2026-01-01T02:00:50Z","completionTimestamp":"2026-01-01T02:02:50Z",
        "progress":{"totalBytes":2147483648,"bytesDone":2147483648},"incrementalBytes":104857600,"node":"worker-3",
        "nodeOS":"linux","acceptedByNode":"worker-3","acceptedTimestamp":"2026-01-01T02:00:41Z"}}
        """

    static let dataDownload = """
        {"apiVersion":"velero.io/v2alpha1","kind":"DataDownload","metadata":{"generateName":"nightly-restore-",
        "name":"nightly-restore-p8q7r","namespace":"velero","uid":"dddddddd-eeee-4fff-8000-111111111111",
        "resourceVersion":"90300","generation":5,"creationTimestamp":"2026-01-02T09:00:20Z",
        "labels":{"velero.io/async-operation-id":"dd-dddddddd-eeee-4fff-8000-111111111111.77777777",
        "velero.io/restore-name":"nightly-restore","velero.io/restore-uid":"0d4c1d3e-1111-4c2e-9bbb-3a2f6a1d2e33"},
        "finalizers":["velero.io/data-upload-download-finalizer"]},
        "spec":{"targetVolume":{"pvc":"data-db-0","pv":"","namespace":"shop-copy"},"backupStorageLocation":"default",
        "datamover":"velero","snapshotID":"k9f8e7d6c5b4","sourceNamespace":"shop",
        "dataMoverConfig":{"uploaderType":"kopia"},"cancel":false,"operationTimeout":"10m0s","nodeOS":"linux",
        "snapshotSize":2147483648},
        "status":{"phase":"Accepted","progress":{},"acceptedByNode":"worker-1",
        "acceptedTimestamp":"2026-01-02T09:00:21Z"}}
        """
}
