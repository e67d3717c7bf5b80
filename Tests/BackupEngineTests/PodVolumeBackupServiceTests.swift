import BackupEngine
import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

/// `lifeboat pod-volume backup`'s engine against a sandbox and a local-folder location; the snapshots are read
/// back with the real `restic`.
struct PodVolumeBackupServiceTests {
    typealias F = DataMoverFixture

    /// Runs the backup service for `load` while the test, standing in for the node agent, sets it InProgress.
    static func runBackup(
        _ f: F,
        load: String,
        volume: String,
        gate: GatedStore.Gate? = nil,
        afterStart: @Sendable () async throws -> Void = {}
    ) async throws -> DataPathOutcome {
        let configuration = f.configuration(load: load, volume: volume) { store -> any ObjectStore in
            guard let gate else { return store }
            return GatedStore(base: store, gate: gate)
        }
        let service = PodVolumeBackupService(client: f.client, configuration: configuration, logger: .quiet)
        async let outcome = service.run()
        try await f.setStatus(
            PodVolumeBackup.resource,
            load,
            phase: "InProgress",
            extra: ["startTimestamp": .string(Timestamps.now())]
        )
        try await afterStart()
        return await outcome
    }

    @Test func backupRecordsVeleroEventsAndResticReadsTheSnapshot() async throws {
        try await F.with { f in
            let volume = try f.folder("volume-1")
            try F.write(["a.txt": Array("hello\n".utf8), "sub/b.bin": F.noise(300_000, seed: 1)], under: volume)
            try FileManager.default.createSymbolicLink(atPath: volume + "/link", withDestinationPath: "a.txt")
            try await f.createPVB("pvb-1", tags: ["backup": "nightly", "ns": "app", "pod": "web", "volume": "data"])
            let gate = GatedStore.Gate()
            let outcome = try await Self.runBackup(f, load: "pvb-1", volume: volume, gate: gate) {
                // The data path runs (its packs wait at the gate) and reports progress.
                try await f.waitForEvent(DataPathMessages.reasonProgress, of: "pvb-1")
                gate.open()
            }

            #expect(outcome.succeeded && outcome.exitCode == 0, "\(outcome.message)")
            #expect(try f.terminationMessage() == outcome.message)
            let result = try JSONValue(parsing: Array(outcome.message.utf8))
            let snapshotID = try #require(result["snapshotID"]?.stringValue)
            #expect(snapshotID.count == 64)
            #expect(outcome.message.hasPrefix("{\"snapshotID\":\"\(snapshotID)\",\"emptySnapshot\":false,\"source\":"))
            #expect(result["source"] == ["byPath": .string(volume), "volumeMode": "Filesystem"])
            #expect(result["totalBytes"]?.intValue == 300_006)

            let events = try await f.events(of: "pvb-1")
            try #require(events.count == 4, "\(events.map(\.value.jsonString))")
            #expect(
                events.compactMap { $0["reason"]?.stringValue }
                    == ["Data-Path-Started", "Data-Path-Progress", "Data-Path-Completed", "Data-Path-Stopped"]
            )
            #expect(events.first?["message"] == "Data path for pvb-1 started")
            #expect(events.last?["message"] == "Data path for pvb-1 stopped")
            #expect(events[2]["message"]?.stringValue == outcome.message)
            let progress = try JSONValue(parsing: Array((events[1]["message"]?.stringValue ?? "").utf8))
            #expect((progress["totalBytes"]?.intValue ?? 0) > 0, "\(progress)")
            for event in events {
                #expect(event["source"] == ["component": "pvb-1", "host": "node-1"])
                #expect(event["type"] == "Normal")
                #expect(event["involvedObject"]?["kind"] == "PodVolumeBackup")
                #expect(event["involvedObject"]?["namespace"] == "velero")
                #expect(event["involvedObject"]?["uid"]?.stringValue?.isEmpty == false)
            }

            let snapshots = try await f.resticSnapshots()
            #expect(snapshots.count == 1)
            #expect(snapshots.first?["id"]?.stringValue == snapshotID)
            #expect(snapshots.first?["paths"] == [.string(volume)])
            #expect(snapshots.first?["hostname"] == "velero")
            #expect(snapshots.first?["tags"] == ["backup=nightly", "ns=app", "pod=web", "volume=data"])
            let target = try f.folder("restic-restore")
            _ = try await f.restic(["restore", snapshotID, "--target", target])
            #expect(FileManager.default.contents(atPath: target + "/a.txt") == Data("hello\n".utf8))
            #expect(FileManager.default.contents(atPath: target + "/sub/b.bin") == Data(F.noise(300_000, seed: 1)))
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/link") == "a.txt")
        }
    }

    @Test func secondBackupOfThePVCUsesTheParentAndUploadsTheChangedFile() async throws {
        try await F.with { f in
            let first = try f.folder("pod-1-volume")
            let files = ["one.bin": F.noise(2 << 20, seed: 10), "two.bin": F.noise(2 << 20, seed: 20)]
            try F.write(files, under: first)
            try await f.createPVB("pvb-a", pvcUID: "pvc-1")
            let outcomeA = try await Self.runBackup(f, load: "pvb-a", volume: first)
            let parent = try #require(try JSONValue(parsing: Array(outcomeA.message.utf8))["snapshotID"]?.stringValue)
            try await f.setStatus(
                PodVolumeBackup.resource,
                "pvb-a",
                phase: "Completed",
                extra: ["snapshotID": .string(parent)]
            )
            // An older Completed backup of the same PVC is not the parent.
            try await f.createPVB("pvb-old", pvcUID: "pvc-1")
            try await f.setStatus(
                PodVolumeBackup.resource,
                "pvb-old",
                phase: "Completed",
                extra: ["snapshotID": "0000", "startTimestamp": "2020-01-01T00:00:00Z"]
            )

            // The PVC is now mounted by another pod (another folder); one file changed (1 MiB).
            let second = try f.folder("pod-2-volume")
            try F.write(["one.bin": F.noise(2 << 20, seed: 10), "two.bin": F.noise(1 << 20, seed: 30)], under: second)
            try await f.createPVB("pvb-b", pvcUID: "pvc-1")
            let outcomeB = try await Self.runBackup(f, load: "pvb-b", volume: second)
            #expect(outcomeB.succeeded, "\(outcomeB.message)")
            let result = try JSONValue(parsing: Array(outcomeB.message.utf8))
            let uploaded = try #require(result["incrementalBytes"]?.intValue)
            #expect(uploaded > 1 << 20 && uploaded < (1 << 20) + (256 << 10), "uploaded \(uploaded) bytes")
            let snapshots = try await f.resticSnapshots()
            let latest = snapshots.first { $0["id"] == result["snapshotID"] }
            #expect(latest?["parent"]?.stringValue == parent)
        }
    }

    @Test func anEmptyVolumeGivesAnEmptySnapshot() async throws {
        try await F.with { f in
            let volume = try f.folder("empty")
            try await f.createPVB("pvb-empty")
            let outcome = try await Self.runBackup(f, load: "pvb-empty", volume: volume)
            #expect(outcome.succeeded)
            #expect(
                outcome.message
                    == #"{"snapshotID":"","emptySnapshot":true,"source":{"byPath":"\#(volume)","volumeMode":"Filesystem"}}"#
            )
            #expect(try await f.resticSnapshots().isEmpty)
        }
    }

    @Test func cancelStopsTheDataPath() async throws {
        try await F.with { f in
            let volume = try f.folder("volume")
            try F.write(["big.bin": F.noise(1 << 20, seed: 9)], under: volume)
            try await f.createPVB("pvb-cancel")
            let outcome = try await Self.runBackup(f, load: "pvb-cancel", volume: volume, gate: GatedStore.Gate()) {
                // The gate never opens: the data path only ends by being canceled.
                try await f.waitForEvent(DataPathMessages.reasonStarted, of: "pvb-cancel")
                try await f.cancel(PodVolumeBackup.resource, "pvb-cancel")
            }
            #expect(!outcome.succeeded && outcome.exitCode == 1)
            #expect(outcome.message == "Failed to run data path service for PVB pvb-cancel: data path is canceled")
            #expect(try f.terminationMessage() == outcome.message)
            let events = try await f.events(of: "pvb-cancel")
            let reasons = events.compactMap { $0["reason"]?.stringValue }.filter { $0 != "Data-Path-Progress" }
            #expect(reasons == ["Data-Path-Started", "Data-Path-Canceling", "Data-Path-Canceled", "Data-Path-Stopped"])
            #expect(events.contains { $0["message"] == "Canceling for PVB pvb-cancel" })
            #expect(events.contains { $0["message"] == "Data path for PVB pvb-cancel canceled" })
        }
    }

    @Test func aMissingPasswordSecretIsNamed() async throws {
        try await F.with(secret: false) { f in
            let volume = try f.folder("volume")
            try F.write(["a": [1]], under: volume)
            try await f.createPVB("pvb-nosecret")
            let outcome = try await Self.runBackup(f, load: "pvb-nosecret", volume: volume)
            #expect(!outcome.succeeded)
            #expect(
                outcome.message.hasPrefix(
                    "Failed to run data path service for PVB pvb-nosecret: error to initialize data path: "
                )
            )
            #expect(outcome.message.contains("Secret velero/velero-repo-credentials or its key repository-password"))
            #expect(try await f.events(of: "pvb-nosecret").isEmpty, "nothing is recorded before the data path starts")
        }
    }

    @Test func aWrongPasswordIsReported() async throws {
        try await F.with(secret: false) { f in
            try await f.createSecret(password: "not-the-password")
            let volume = try f.folder("volume")
            try await f.createPVB("pvb-wrong")
            let outcome = try await Self.runBackup(f, load: "pvb-wrong", volume: volume)
            #expect(!outcome.succeeded)
            #expect(
                outcome.message.contains(
                    "wrong password for the repository restic/app of backup storage location default"
                )
            )
        }
    }

    @Test func aLoadThatNeverRunsTimesOut() async throws {
        try await F.with { f in
            try await f.createPVB("pvb-idle")
            var configuration = f.configuration(load: "pvb-idle", volume: try f.folder("v"))
            configuration.resourceTimeout = .milliseconds(300)
            let outcome = await PodVolumeBackupService(client: f.client, configuration: configuration, logger: .quiet)
                .run()
            #expect(
                outcome.message
                    == "Failed to run data path service for PVB pvb-idle: error waiting for PVB: timed out after 300ms "
                    + "waiting for PodVolumeBackup velero/pvb-idle to be InProgress: its phase is \"Prepared\""
            )
        }
    }
}
