import BackupEngine
import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import ObjectStorageTesting
import Testing
import VeleroAPI
import VolumeRepository

/// `lifeboat pod-volume restore`'s engine: a snapshot the backup service wrote comes back into a new volume
/// folder with Velero's completion mark.
struct PodVolumeRestoreServiceTests {
    typealias F = DataMoverFixture

    /// Backs `volume` up through the backup service; returns the snapshot ID.
    static func backUp(_ f: F, volume: String, load: String = "pvb-src") async throws -> String {
        try await f.createPVB(load)
        let outcome = try await PodVolumeBackupServiceTests.runBackup(f, load: load, volume: volume)
        try #require(outcome.succeeded, "\(outcome.message)")
        return try #require(try JSONValue(parsing: Array(outcome.message.utf8))["snapshotID"]?.stringValue)
    }

    /// Runs the restore service for `load` while the test sets it InProgress.
    static func runRestore(_ f: F, load: String, volume: String) async throws -> DataPathOutcome {
        let service = PodVolumeRestoreService(
            client: f.client,
            configuration: f.configuration(load: load, volume: volume),
            logger: .quiet
        )
        async let outcome = service.run()
        try await f.setStatus(PodVolumeRestore.resource, load, phase: "InProgress")
        return await outcome
    }

    @Test func restoreWritesTheFilesAndTheCompletionMark() async throws {
        try await F.with { f in
            let source = try f.folder("source")
            try F.write(["data/a.txt": Array("alpha".utf8), "b.bin": F.noise(200_000, seed: 4)], under: source)
            try FileManager.default.createSymbolicLink(atPath: source + "/to-a", withDestinationPath: "data/a.txt")
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: source + "/b.bin")
            let mtime = Date(timeIntervalSince1970: 1_700_000_000)
            try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: source + "/data/a.txt")
            let snapshotID = try await Self.backUp(f, volume: source)

            // The restored pod's volume already holds a mark of an earlier restore.
            let target = try f.folder("target")
            try F.write([".velero/old-restore": []], under: target)
            try await f.createPVR("pvr-1", snapshotID: snapshotID, restoreUID: "restore-uid-1")
            let outcome = try await Self.runRestore(f, load: "pvr-1", volume: target)

            #expect(outcome.succeeded, "\(outcome.message)")
            #expect(
                outcome.message == #"{"target":{"byPath":"\#(target)","volumeMode":"Filesystem"},"totalBytes":200005}"#
            )
            #expect(try f.terminationMessage() == outcome.message)
            let manager = FileManager.default
            #expect(manager.contents(atPath: target + "/data/a.txt") == Data("alpha".utf8))
            #expect(manager.contents(atPath: target + "/b.bin") == Data(F.noise(200_000, seed: 4)))
            #expect(try manager.destinationOfSymbolicLink(atPath: target + "/to-a") == "data/a.txt")
            let attributes = try manager.attributesOfItem(atPath: target + "/b.bin")
            #expect((attributes[.posixPermissions] as? Int) == 0o640)
            let restoredDate = try manager.attributesOfItem(atPath: target + "/data/a.txt")[.modificationDate] as? Date
            #expect(restoredDate == mtime)
            #expect(try manager.contentsOfDirectory(atPath: target + "/.velero") == ["restore-uid-1"])
            #expect(manager.contents(atPath: target + "/.velero/restore-uid-1") == Data())

            let reasons = try await f.reasons(of: "pvr-1").filter { $0 != DataPathMessages.reasonProgress }
            #expect(reasons == ["Data-Path-Started", "Data-Path-Completed", "Data-Path-Stopped"])
        }
    }

    @Test func aKopiaRestoreFailsNamingTheUploaderAndTheVolume() async throws {
        try await F.with { f in
            try await f.createPVR("pvr-kopia", snapshotID: "abc123", restoreUID: "u", uploaderType: "kopia")
            let outcome = try await Self.runRestore(f, load: "pvr-kopia", volume: try f.folder("t"))
            #expect(!outcome.succeeded)
            #expect(
                outcome.message.hasPrefix(
                    "Failed to run data path service for PVR pvr-kopia: error to initialize data path: "
                        + "uploader type \"kopia\" of volume app/web/data is not supported"
                ),
                "\(outcome.message)"
            )
            #expect(try f.terminationMessage() == outcome.message)
        }
    }

    @Test func aCorruptedPackFailsNamingTheBlob() async throws {
        try await F.with { f in
            let source = try f.folder("source")
            try F.write(["file.bin": F.noise(300_000, seed: 7)], under: source)
            let snapshotID = try await Self.backUp(f, volume: source)
            // Damage the middle of every data pack (the tree pack is small; data packs hold the file).
            let data = URL(fileURLWithPath: f.repositoryPath).appendingPathComponent("data")
            let enumerator = FileManager.default.enumerator(atPath: data.path)
            var damaged = 0
            while let name = enumerator?.nextObject() as? String {
                let url = data.appendingPathComponent(name)
                guard var bytes = FileManager.default.contents(atPath: url.path), bytes.count > 100_000 else {
                    continue
                }
                for i in 1000..<2000 { bytes[i] ^= 0xFF }
                try bytes.write(to: url)
                damaged += 1
            }
            try #require(damaged > 0)
            try await f.createPVR("pvr-bad", snapshotID: snapshotID, restoreUID: "u")
            let outcome = try await Self.runRestore(f, load: "pvr-bad", volume: try f.folder("target"))
            #expect(!outcome.succeeded)
            #expect(
                outcome.message.hasPrefix(
                    "Failed to run data path service for PVR pvr-bad: Data path for PVR pvr-bad failed: "
                )
            )
            #expect(outcome.message.contains("blob "), "\(outcome.message)")
            let events = try await f.events(of: "pvr-bad")
            #expect(
                events.contains {
                    $0["reason"] == "Data-Path-Failed"
                        && $0["message"]?.stringValue?.hasPrefix("Data path for PVR pvr-bad failed, error ") == true
                }
            )
            #expect(events.last?["reason"] == "Data-Path-Stopped")
        }
    }

    @Test func backupAndRestoreThroughS3() async throws {
        let moto = try await MotoServer.shared()
        let bucket = "lifeboat-\(UUID().uuidString.prefix(8).lowercased())"
        let s3 = try await moto.makeStore(bucket: bucket, logger: .quiet)
        try await F.with(initialize: false) { f in
            var credentials = KubeObject(
                apiVersion: "v1",
                kind: "Secret",
                namespace: "velero",
                name: "cloud-credentials"
            )
            let file =
                "[default]\naws_access_key_id=\(MotoServer.accessKeyID)\naws_secret_access_key=\(MotoServer.secretAccessKey)\n"
            credentials["data"] = ["cloud": .string(Data(file.utf8).base64EncodedString())]
            _ = try await f.client.create(.secrets, credentials)
            let location = try BackupTestCluster.object([
                "apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
                "metadata": ["name": "s3", "namespace": "velero"],
                "spec": [
                    "provider": "aws", "objectStorage": ["bucket": .string(bucket), "prefix": "lb"],
                    "config": ["region": "us-east-1", "s3Url": .string(moto.endpoint), "s3ForcePathStyle": "true"],
                    "credential": ["name": "cloud-credentials", "key": "cloud"],
                ],
            ])
            _ = try await f.client.create(BackupStorageLocation.resource, namespace: "velero", location)
            let repositoryStore = try PrefixedObjectStore(base: AnyObjectStore(s3), prefix: "lb/restic/app")
            _ = try await Repository.initialize(
                store: repositoryStore,
                password: F.password,
                configuration: .testing,
                logger: .quiet
            )

            let source = try f.folder("source")
            try F.write(["x.bin": F.noise(150_000, seed: 11), "y/z.txt": Array("zed".utf8)], under: source)
            try await f.createPVB("pvb-s3")
            _ = try await f.client.patch(
                PodVolumeBackup.resource,
                namespace: "velero",
                name: "pvb-s3",
                .merge(["spec": ["backupStorageLocation": "s3"]])
            )
            let backup = try await PodVolumeBackupServiceTests.runBackup(f, load: "pvb-s3", volume: source)
            #expect(backup.succeeded, "\(backup.message)")
            let snapshotID = try #require(try JSONValue(parsing: Array(backup.message.utf8))["snapshotID"]?.stringValue)
            let snapshots = try await Repository.open(store: repositoryStore, password: F.password, logger: .quiet)
                .snapshots()
            #expect(snapshots.map(\.id.hex) == [snapshotID])

            let target = try f.folder("target")
            try await f.createPVR("pvr-s3", snapshotID: snapshotID, restoreUID: "uid-s3")
            _ = try await f.client.patch(
                PodVolumeRestore.resource,
                namespace: "velero",
                name: "pvr-s3",
                .merge(["spec": ["backupStorageLocation": "s3"]])
            )
            let restore = try await Self.runRestore(f, load: "pvr-s3", volume: target)
            #expect(restore.succeeded, "\(restore.message)")
            #expect(FileManager.default.contents(atPath: target + "/x.bin") == Data(F.noise(150_000, seed: 11)))
            #expect(FileManager.default.contents(atPath: target + "/y/z.txt") == Data("zed".utf8))
            #expect(FileManager.default.fileExists(atPath: target + "/.velero/uid-s3"))
        }
    }
}
