import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import ProcessTesting
import Testing
import VeleroAPI
import VolumeRepository

@testable import BackupEngine

/// Deleting a backup forgets its pod volume snapshots: a real repository in a location folder, checked with the
/// stock `restic` binary.
struct PodVolumeSnapshotForgetterTests {
    /// `restic snapshots --json` of the repository at `path`: the snapshot IDs.
    static func resticSnapshots(_ path: String, password: String) async throws -> [String] {
        let restic = try ChildProcess.find("restic")
        let result = try await ChildProcess.run(
            restic,
            ["-r", path, "--no-cache", "snapshots", "--json"],
            environment: ["RESTIC_PASSWORD": password],
            timeout: .seconds(120)
        )
        try #require(result.status == 0, "restic snapshots: \(result.output)")
        let list = try JSONValue(parsing: Array(result.stdoutData))
        return (list.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    /// A location folder whose `restic/shop` repository holds two snapshots of one folder; `body` gets the
    /// location's store, the repository's path and the two snapshot IDs (oldest first).
    static func withRepository(
        _ body: (BackupStore, String, [String]) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-forget") { directory in
            let bucket = directory.appendingPathComponent("bucket")
            let data = directory.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            let objects = try FilesystemObjectStore(root: bucket.path)
            let repository = try await Repository.initialize(
                store: objects,
                prefix: "restic/shop",
                password: "s3cret",
                configuration: .testing,
                logger: .quiet
            )
            try Data("first\n".utf8).write(to: data.appendingPathComponent("a.txt"))
            let first = try await repository.backup(BackupOptions(paths: [data.path]), logger: .quiet)
            try Data("second\n".utf8).write(to: data.appendingPathComponent("b.txt"))
            let second = try await repository.backup(BackupOptions(paths: [data.path]), logger: .quiet)
            try await body(
                BackupStore(store: objects, prefix: nil),
                bucket.appendingPathComponent("restic/shop").path,
                [first.snapshotID.hex, second.snapshotID.hex]
            )
        }
    }

    @Test func forgetsOnlyTheBackupsSnapshots() async throws {
        try await Self.withRepository { store, path, ids in
            let before = try await Self.resticSnapshots(path, password: "s3cret")
            #expect(Set(before) == Set(ids))
            let backups = [
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "data", snapshot: ids[0]),
                // A volume without a snapshot (empty) and one of another uploader are left alone.
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "empty", snapshot: ""),
                PodVolumeFixtures.podVolumeBackup(
                    namespace: "shop",
                    pod: "web",
                    volume: "cache",
                    snapshot: "k0p1a",
                    uploader: "kopia"
                ),
            ]
            let outcome = await PodVolumeSnapshotForgetter(store: store, password: "s3cret", logger: .quiet)
                .forget(backups, backup: "b1")
            #expect(outcome.forgotten == ["shop": [ids[0]]])
            #expect(outcome.warnings.count == 1)
            #expect(outcome.warnings.first?.contains("kopia uploader") == true)
            let after = try await Self.resticSnapshots(path, password: "s3cret")
            #expect(after == [ids[1]])

            // Forgetting again finds nothing to remove and is not an error.
            let again = await PodVolumeSnapshotForgetter(store: store, password: "s3cret", logger: .quiet)
                .forget(Array(backups.prefix(1)), backup: "b1")
            #expect(again.count == 0)
            #expect(again.warnings.isEmpty)
        }
    }

    @Test func withoutThePasswordSecretSnapshotsStayWithAWarning() async throws {
        try await Self.withRepository { store, path, ids in
            let backups = [
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "data", snapshot: ids[0])
            ]
            let outcome = await PodVolumeSnapshotForgetter(store: store, password: nil, logger: .quiet)
                .forget(backups, backup: "b1")
            #expect(outcome.count == 0)
            #expect(outcome.warnings.count == 1)
            #expect(outcome.warnings.first?.contains("velero-repo-credentials") == true)
            #expect(outcome.warnings.first?.contains("repository-password") == true)
            let kept = try await Self.resticSnapshots(path, password: "s3cret")
            #expect(Set(kept) == Set(ids))
        }
    }
}
