import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import ObjectStorageTesting
import Testing
import VeleroAPI

@testable import BackupEngine

/// A backup to S3 (moto_server on loopback) reads back through `BackupStore` exactly like the same
/// backup in memory.
struct BackupS3Tests {
    typealias T = BackupTestCluster

    @Test func backupToS3ReadsBackThroughBackupStore() async throws {
        let moto = try await MotoServer.shared()
        let bucket = "lifeboat-\(UUID().uuidString.prefix(8).lowercased())"
        let s3 = try await moto.makeStore(bucket: bucket, logger: .quiet)
        try await withSandbox { _, client in
            let fixture = try await BackupFixture.populate(client)
            var spec = BackupSpec()
            spec.includedNamespaces = ["app-a", "app-b"]

            let s3Store = BackupStore(store: s3, prefix: "velero")
            let (s3Backup, s3Archive) = try await T.backUp(client, spec: spec, name: "nightly", store: s3Store)
            let (_, memoryArchive) = try await T.backUp(client, spec: spec, name: "nightly")

            #expect(s3Backup.status?.phase == BackupPhase.completed)
            #expect(try await s3Store.backupNames() == ["nightly"])
            let stored = try #require(try await s3Store.backup(named: "nightly"))
            #expect(stored.status?.phase == BackupPhase.completed)
            #expect(stored.status?.progress?.itemsBackedUp == s3Archive.itemLocations.count)
            #expect(stored.spec.ttl == "720h0m0s", "the default TTL is recorded")
            let formatter = ISO8601DateFormatter()
            let start = try #require(stored.status?.startTimestamp.flatMap(formatter.date(from:)))
            let expiration = try #require(stored.status?.expiration.flatMap(formatter.date(from:)))
            #expect(expiration.timeIntervalSince(start) == 720 * 3600)

            // Same cluster state, same entries with the same contents in the same order.
            #expect(s3Archive.entries.map(\.name) == memoryArchive.entries.map(\.name))
            #expect(s3Archive.entries.map(\.contents) == memoryArchive.entries.map(\.contents))
            #expect(s3Archive.names("persistentvolumes") == [fixture.volumeName])
            #expect(s3Archive.names("configmaps") == ["app-a/settings", "app-a/both", "app-b/settings"])

            let keys = try await s3.listAll(prefix: "").map(\.key)
            // Velero's nine files (volumeinfo.json.gz included).
            #expect(keys.count == 9 && keys.allSatisfy { $0.hasPrefix("velero/backups/nightly/") }, "\(keys)")
            let results = try #require(try await s3Store.backupResults(of: "nightly"))
            #expect(results.errors.isEmpty)
            let resourceList = try #require(try await s3Store.gunzipped(s3Store.layout.backupResourceList("nightly")))
            #expect(
                try JSONValue(parsing: resourceList)["v1/PersistentVolume"] == .array([.string(fixture.volumeName)])
            )

            #expect(try await s3Store.deleteBackup("nightly") == 9)
            #expect(try await s3Store.backupNames().isEmpty)
        }
    }
}
