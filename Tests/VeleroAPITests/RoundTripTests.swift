import Foundation
import Kubernetes
import Testing
import VeleroAPI

/// Every kind decodes a realistic Velero 1.18 object, knows every field of it, and encodes it back unchanged.
struct RoundTripTests {
    /// The thirteen kinds and their fixtures.
    enum Kind: String, CaseIterable, Sendable {
        case backup, restore, schedule, backupStorageLocation, volumeSnapshotLocation, deleteBackupRequest
        case downloadRequest, serverStatusRequest, podVolumeBackup, podVolumeRestore, backupRepository
        case dataUpload, dataDownload

        var fixture: String {
            switch self {
            case .backup: Fixtures.backup
            case .restore: Fixtures.restore
            case .schedule: Fixtures.schedule
            case .backupStorageLocation: Fixtures.backupStorageLocation
            case .volumeSnapshotLocation: Fixtures.volumeSnapshotLocation
            case .deleteBackupRequest: Fixtures.deleteBackupRequest
            case .downloadRequest: Fixtures.downloadRequest
            case .serverStatusRequest: Fixtures.serverStatusRequest
            case .podVolumeBackup: Fixtures.podVolumeBackup
            case .podVolumeRestore: Fixtures.podVolumeRestore
            case .backupRepository: Fixtures.backupRepository
            case .dataUpload: Fixtures.dataUpload
            case .dataDownload: Fixtures.dataDownload
            }
        }

        /// Decodes the fixture, then encodes it with and without the preserved JSON.
        func roundTrip() throws -> (original: JSONValue, preserved: JSONValue, typedOnly: JSONValue) {
            let original = try JSONValue(parsing: fixture)
            switch self {
            case .backup: return try Self.roundTrip(Backup.self, original)
            case .restore: return try Self.roundTrip(Restore.self, original)
            case .schedule: return try Self.roundTrip(Schedule.self, original)
            case .backupStorageLocation: return try Self.roundTrip(BackupStorageLocation.self, original)
            case .volumeSnapshotLocation: return try Self.roundTrip(VolumeSnapshotLocation.self, original)
            case .deleteBackupRequest: return try Self.roundTrip(DeleteBackupRequest.self, original)
            case .downloadRequest: return try Self.roundTrip(DownloadRequest.self, original)
            case .serverStatusRequest: return try Self.roundTrip(ServerStatusRequest.self, original)
            case .podVolumeBackup: return try Self.roundTrip(PodVolumeBackup.self, original)
            case .podVolumeRestore: return try Self.roundTrip(PodVolumeRestore.self, original)
            case .backupRepository: return try Self.roundTrip(BackupRepository.self, original)
            case .dataUpload: return try Self.roundTrip(DataUpload.self, original)
            case .dataDownload: return try Self.roundTrip(DataDownload.self, original)
            }
        }

        private static func roundTrip<T: VeleroResource>(
            _ type: T.Type,
            _ original: JSONValue
        ) throws -> (original: JSONValue, preserved: JSONValue, typedOnly: JSONValue) {
            var value = try original.decode(as: T.self)
            #expect(value.kind == T.kindInfo.kind)
            #expect(value.apiVersion == T.kindInfo.apiVersion)
            let preserved = try JSONValue(encoding: value)
            value.preserved = PreservedJSON()
            return (original, preserved, try JSONValue(encoding: value))
        }
    }

    @Test(arguments: Kind.allCases)
    func decodesAndEncodesBack(_ kind: Kind) throws {
        let (original, preserved, typedOnly) = try kind.roundTrip()
        #expect(preserved == original)
        #expect(typedOnly == original, "a field of the fixture is unknown to the typed value: \(typedOnly)")
    }

    @Test func typedFieldsCarryTheFixturesValues() throws {
        let backup = try JSONValue(parsing: Fixtures.backup).decode(as: Backup.self)
        #expect(backup.name == "nightly-20260101020000")
        #expect(backup.spec.labelSelector?.matchExpressions?.first?.values == ["web", "db"])
        #expect(backup.spec.uploaderConfig?.parallelFilesUpload == 4)
        #expect(backup.status?.progress?.itemsBackedUp == 412)
        #expect(backup.metadata.annotations?[VeleroAnnotations.sourceClusterK8sGitVersion] == "v1.33.1")

        let location = try JSONValue(parsing: Fixtures.backupStorageLocation).decode(as: BackupStorageLocation.self)
        #expect(location.spec.credential == SecretKeySelector(name: "cloud-credentials", key: "cloud"))
        #expect(location.spec.default == true && !location.isReadOnly)

        let upload = try JSONValue(parsing: Fixtures.dataUpload).decode(as: DataUpload.self)
        #expect(upload.spec.csiSnapshot?.volumeSnapshot == "velero-data-db-0-2xk4p")
        #expect(upload.status?.progress?.totalBytes == 2_147_483_648)
        #expect(upload.metadata.finalizers == [VeleroFinalizers.dataUploadDownload])

        let volumeBackup = try JSONValue(parsing: Fixtures.podVolumeBackup).decode(as: PodVolumeBackup.self)
        #expect(volumeBackup.spec.pod.name == "db-0")
        #expect(volumeBackup.metadata.labels?[VeleroLabels.pvcUID] == "77777777-8888-4999-8aaa-bbbbbbbbbbbb")

        let repository = try JSONValue(parsing: Fixtures.backupRepository).decode(as: BackupRepository.self)
        #expect(repository.status?.recentMaintenance?.map(\.result) == ["Succeeded", "Failed"])
    }

    @Test func objectsBuiltInCodeEncodeOnlyTheirFields() throws {
        var spec = BackupSpec()
        spec.includedNamespaces = ["shop"]
        let backup = Backup(metadata: ObjectMeta(name: "b", namespace: "velero"), spec: spec)
        let json = try JSONValue(encoding: backup)
        #expect(
            json
                == [
                    "apiVersion": "velero.io/v1", "kind": "Backup", "metadata": ["name": "b", "namespace": "velero"],
                    "spec": ["includedNamespaces": ["shop"]],
                ]
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(backup), as: UTF8.self)
        #expect(
            text
                == #"{"apiVersion":"velero.io\/v1","kind":"Backup","metadata":{"name":"b","namespace":"velero"},"#
                + #""spec":{"includedNamespaces":["shop"]}}"#
        )
    }
}
