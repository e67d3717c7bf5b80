import Foundation
import Kubernetes
import VeleroAPI

@testable import BackupEngine

/// Fixtures for restores of file-system backups: pods with volumes, their PodVolumeBackups, and a backup in the
/// location with `<backup>-podvolumebackups.json.gz`.
enum PodVolumeFixtures {
    /// A backed-up pod mounting `volumes` (emptyDir unless `configMaps` names it), with a stale `restore-wait`
    /// init container from an earlier restore.
    static func pod(_ name: String, _ namespace: String, volumes: [String], configMaps: Set<String> = []) -> JSONValue {
        let specVolumes: [JSONValue] = volumes.map { volume in
            configMaps.contains(volume)
                ? ["name": .string(volume), "configMap": ["name": .string(volume)]]
                : ["name": .string(volume), "emptyDir": [:]]
        }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": "old-pod-uid",
                "resourceVersion": "21", "labels": ["app": .string(name)],
            ],
            "spec": [
                "nodeName": "old-node",
                "initContainers": [["name": "restore-wait", "image": "velero/velero:v1.17.0"]],
                "containers": [
                    [
                        "name": "app", "image": "nginx:1.27",
                        "volumeMounts": .array(volumes.map { ["name": .string($0), "mountPath": .string("/\($0)")] }),
                    ]
                ],
                "volumes": .array(specVolumes),
            ],
            "status": ["phase": "Running"],
        ]
    }

    /// A completed PodVolumeBackup of `namespace/pod` volume `volume`.
    static func podVolumeBackup(
        backup: String = "b1",
        namespace: String,
        pod: String,
        volume: String,
        snapshot: String,
        uploader: String = "restic",
        size: Int64 = 4096,
        claim: String? = nil
    ) -> PodVolumeBackup {
        var metadata = ObjectMeta(
            name: "\(backup)-\(pod)-\(volume)",
            namespace: "velero",
            labels: [VeleroLabels.backupName: backup]
        )
        metadata.uid = "pvb-\(pod)-\(volume)"
        metadata.annotations = claim.map { [BackupPodVolumes.pvcNameAnnotation: $0] }
        var spec = PodVolumeBackup.Spec(
            node: "old-node",
            pod: ObjectReference(kind: "Pod", namespace: namespace, name: pod, uid: "old-pod-uid"),
            volume: volume,
            backupStorageLocation: "default",
            repoIdentifier: "local:/bucket/restic/\(namespace)"
        )
        spec.uploaderType = uploader
        var status = PodVolumeBackup.Status(phase: "Completed")
        status.snapshotID = snapshot
        status.progress = DataMoveProgress(totalBytes: size, bytesDone: size)
        return PodVolumeBackup(metadata: metadata, spec: spec, status: status)
    }

    /// A backup `b1` of namespace `namespace` holding `pods`, with `podVolumeBackups` in the location.
    static func store(
        namespace: String,
        pods: [JSONValue],
        podVolumeBackups: [PodVolumeBackup],
        backup: String = "b1",
        extra: [JSONValue] = []
    ) async throws -> BackupStore {
        var builder = VeleroBackupBuilder(name: backup)
        builder.add(RestoreObjects.namespace(namespace))
        for pod in pods { builder.add(pod) }
        for object in extra { builder.add(object) }
        let store = try await builder.store()
        let json = try JSONValue(encoding: podVolumeBackups)
        try await store.putGzipped(store.layout.backupPodVolumeBackups(backup), json.encoded())
        return store
    }
}
