/// Two `velero-backup.json` files that Velero's server wrote, quoted whole in public write-ups. Each quote's length
/// equals the object size its author listed next to it, so the text is the file byte for byte (2-space indent, no
/// trailing newline).
enum PublicVeleroBackups {
    /// Written on 2023-10-09 by the Velero server of AKS Backup (Azure's `microsoft.dataprotection.kubernetes`
    /// extension; a Velero older than the `velero.io/resource-timeout` annotation), quoted after
    /// `cat velero-backup.json` in
    /// https://github.com/VijayRod/demo/blob/master/container-storage/logs/data-azurebackup-aks_files.md
    /// (commit 53c862f8ad1ab0792ec576d5e3e1476399e92677), whose blob listing gives the file 3911 bytes.
    static let aksBackup = """
        {
          "kind": "Backup",
          "apiVersion": "velero.io/v1",
          "metadata": {
            "name": "clusterbackup-dataprotection-microsoft-backup-d8699196-4adf-4810-b6f0-b54e7c7b2797",
            "namespace": "dataprotection-microsoft",
            "uid": "d26cce0e-782c-4a26-99ce-21a54e18c87d",
            "resourceVersion": "81726",
            "generation": 3,
            "creationTimestamp": "2023-10-09T20:04:57Z",
            "labels": {
              "velero.io/storage-location": "default"
            },
            "annotations": {
              "disk.csi.azure.com": "azbackup-disk.csi.azure.com-3a6a743b-fa71-4d62-9012-488648f2ea32",
              "velero.io/source-cluster-k8s-gitversion": "v1.26.6",
              "velero.io/source-cluster-k8s-major-version": "1",
              "velero.io/source-cluster-k8s-minor-version": "26"
            },
            "managedFields": [
              {
                "manager": "manager",
                "operation": "Update",
                "apiVersion": "velero.io/v1",
                "time": "2023-10-09T20:04:57Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                  "f:metadata": {
                    "f:annotations": {
                      ".": {},
                      "f:disk.csi.azure.com": {}
                    }
                  },
                  "f:spec": {
                    ".": {},
                    "f:excludedNamespaces": {},
                    "f:excludedResources": {},
                    "f:hooks": {},
                    "f:includeClusterResources": {},
                    "f:metadata": {},
                    "f:snapshotVolumes": {},
                    "f:ttl": {}
                  },
                  "f:status": {}
                }
              },
              {
                "manager": "velero-server",
                "operation": "Update",
                "apiVersion": "velero.io/v1",
                "time": "2023-10-09T20:05:01Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                  "f:metadata": {
                    "f:annotations": {
                      "f:velero.io/source-cluster-k8s-gitversion": {},
                      "f:velero.io/source-cluster-k8s-major-version": {},
                      "f:velero.io/source-cluster-k8s-minor-version": {}
                    },
                    "f:labels": {
                      ".": {},
                      "f:velero.io/storage-location": {}
                    }
                  },
                  "f:spec": {
                    "f:csiSnapshotTimeout": {},
                    "f:defaultVolumesToFsBackup": {},
                    "f:itemOperationTimeout": {},
                    "f:storageLocation": {},
                    "f:volumeSnapshotLocations": {}
                  },
                  "f:status": {
                    "f:expiration": {},
                    "f:formatVersion": {},
                    "f:phase": {},
                    "f:startTimestamp": {},
                    "f:version": {}
                  }
                }
              }
            ]
          },
          "spec": {
            "metadata": {},
            "excludedNamespaces": [
              "kube-system",
              "kube-node-lease",
              "kube-public",
              "dataprotection-microsoft"
            ],
            "excludedResources": [
              "v1/Secret",
              "backups.clusterbackup.dataprotection.microsoft.com",
              "validateforbackups.clusterbackup.dataprotection.microsoft.com",
              "validateforrestores.clusterbackup.dataprotection.microsoft.com",
              "restores.clusterbackup.dataprotection.microsoft.com",
              "deletebackups.clusterbackup.dataprotection.microsoft.com",
              "nodes",
              "events",
              "events.events.k8s.io",
              "csinodes.storage.k8s.io",
              "backuprepositories.velero.io",
              "backups.velero.io",
              "deletebackuprequests.velero.io",
              "downloadrequests.velero.io",
              "resticrepositories.velero.io",
              "restores.velero.io"
            ],
            "snapshotVolumes": true,
            "ttl": "23976h0m0s",
            "includeClusterResources": true,
            "hooks": {},
            "storageLocation": "default",
            "volumeSnapshotLocations": [
              "default"
            ],
            "defaultVolumesToFsBackup": false,
            "csiSnapshotTimeout": "10m0s",
            "itemOperationTimeout": "1h0m0s"
          },
          "status": {
            "version": 1,
            "formatVersion": "1.1.0",
            "expiration": "2026-07-04T20:04:57Z",
            "phase": "Completed",
            "startTimestamp": "2023-10-09T20:04:57Z",
            "completionTimestamp": "2023-10-09T20:05:01Z"
          }
        }
        """

    /// Written on 2026-04-29 by Velero v1.18.0 (a CSI snapshot data-movement backup), quoted in the blog post
    /// "Velero CSI backup with SANtricity Snapshots and read-only Linked Clones" of 2026-04-29 on
    /// https://scaleoutsean.github.io (GitHub repository scaleoutsean/scaleoutsean.github.io), whose `ls -la` of
    /// the backup's folder lists `velero-backup.json` at 3727 bytes.
    static let santricityBackup = """
        {
          "kind": "Backup",
          "apiVersion": "velero.io/v1",
          "metadata": {
            "name": "demo",
            "namespace": "velero",
            "uid": "2455cbbc-ef67-4caf-9151-00d42247889a",
            "resourceVersion": "10882442",
            "generation": 8,
            "creationTimestamp": "2026-04-29T17:08:12Z",
            "labels": {
              "velero.io/storage-location": "default"
            },
            "annotations": {
              "velero.io/resource-timeout": "10m0s",
              "velero.io/source-cluster-k8s-gitversion": "v1.32.12",
              "velero.io/source-cluster-k8s-major-version": "1",
              "velero.io/source-cluster-k8s-minor-version": "32"
            },
            "managedFields": [
              {
                "manager": "velero",
                "operation": "Update",
                "apiVersion": "velero.io/v1",
                "time": "2026-04-29T17:08:12Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                  "f:spec": {
                    ".": {},
                    "f:hooks": {},
                    "f:includedNamespaces": {},
                    "f:metadata": {},
                    "f:snapshotMoveData": {},
                    "f:snapshotVolumes": {}
                  },
                  "f:status": {}
                }
              },
              {
                "manager": "velero-server",
                "operation": "Update",
                "apiVersion": "velero.io/v1",
                "time": "2026-04-29T17:09:16Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                  "f:metadata": {
                    "f:annotations": {
                      ".": {},
                      "f:velero.io/resource-timeout": {},
                      "f:velero.io/source-cluster-k8s-gitversion": {},
                      "f:velero.io/source-cluster-k8s-major-version": {},
                      "f:velero.io/source-cluster-k8s-minor-version": {}
                    },
                    "f:labels": {
                      ".": {},
                      "f:velero.io/storage-location": {}
                    }
                  },
                  "f:spec": {
                    "f:csiSnapshotTimeout": {},
                    "f:defaultVolumesToFsBackup": {},
                    "f:excludedClusterScopedResources": {},
                    "f:excludedNamespaceScopedResources": {},
                    "f:itemOperationTimeout": {},
                    "f:storageLocation": {},
                    "f:ttl": {},
                    "f:volumeGroupSnapshotLabelKey": {},
                    "f:volumeSnapshotLocations": {}
                  },
                  "f:status": {
                    "f:backupItemOperationsAttempted": {},
                    "f:backupItemOperationsCompleted": {},
                    "f:expiration": {},
                    "f:formatVersion": {},
                    "f:hookStatus": {},
                    "f:phase": {},
                    "f:progress": {
                      ".": {},
                      "f:itemsBackedUp": {},
                      "f:totalItems": {}
                    },
                    "f:startTimestamp": {},
                    "f:version": {}
                  }
                }
              }
            ]
          },
          "spec": {
            "metadata": {},
            "includedNamespaces": [
              "demo"
            ],
            "excludedClusterScopedResources": [
              "volumesnapshotcontents.snapshot.storage.k8s.io"
            ],
            "excludedNamespaceScopedResources": [
              "volumesnapshots.snapshot.storage.k8s.io"
            ],
            "snapshotVolumes": true,
            "ttl": "720h0m0s",
            "volumeGroupSnapshotLabelKey": "velero.io/volume-group",
            "hooks": {},
            "storageLocation": "default",
            "volumeSnapshotLocations": [
              "default"
            ],
            "defaultVolumesToFsBackup": false,
            "csiSnapshotTimeout": "10m0s",
            "itemOperationTimeout": "4h0m0s",
            "snapshotMoveData": true
          },
          "status": {
            "version": 1,
            "formatVersion": "1.1.0",
            "expiration": "2026-05-29T17:08:12Z",
            "phase": "Completed",
            "startTimestamp": "2026-04-29T17:08:12Z",
            "completionTimestamp": "2026-04-29T17:09:17Z",
            "progress": {
              "totalItems": 9,
              "itemsBackedUp": 9
            },
            "backupItemOperationsAttempted": 1,
            "backupItemOperationsCompleted": 1,
            "hookStatus": {}
          }
        }
        """
}
