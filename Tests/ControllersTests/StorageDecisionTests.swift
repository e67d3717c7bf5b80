import Controllers
import Foundation
import Testing
import VeleroAPI

/// The pure decisions of the location, GC, deletion and sync controllers (Velero 1.18's rules), at fixed times.
@Suite struct StorageDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func location(
        _ name: String = "default",
        phase: String? = BackupStorageLocationPhase.available,
        accessMode: String? = nil
    ) -> BackupStorageLocation {
        var spec = BackupStorageLocation.Spec(provider: "filesystem", objectStorage: .init(bucket: "/b"))
        spec.accessMode = accessMode
        return BackupStorageLocation(
            metadata: ObjectMeta(name: name, namespace: "velero"),
            spec: spec,
            status: phase.map { BackupStorageLocation.Status(phase: $0) }
        )
    }

    static func backup(
        _ name: String,
        phase: String = BackupPhase.completed,
        expiresIn seconds: Double? = nil
    ) -> Backup {
        var metadata = ObjectMeta(name: name, namespace: "velero")
        metadata.uid = "uid-\(name)"
        var backup = Backup(metadata: metadata)
        backup.spec.storageLocation = "default"
        backup.status = BackupStatus(phase: phase)
        backup.status?.expiration = seconds.map { Timestamps.format(now.addingTimeInterval($0)) }
        return backup
    }

    // MARK: - location validation

    @Test func aLocationNeverValidatedIsValidatedAndComesBackAfterItsFrequency() {
        let decision = LocationValidationDecision.decide(
            Self.location(phase: nil),
            serverFrequency: .seconds(60),
            now: Self.now
        )
        #expect(decision == LocationValidationDecision(validate: true, requeueAfter: .seconds(60)))
    }

    /// One case of ``validationFollowsTheFrequency(_:)``.
    struct FrequencyCase: Sendable, CustomTestStringConvertible {
        var own: String?
        var elapsed: Double
        var validate: Bool
        var requeueMilliseconds: Int64?
        var testDescription: String { "\(own ?? "server's"), \(elapsed)s ago" }
    }

    @Test(arguments: [
        FrequencyCase(own: nil, elapsed: 30, validate: false, requeueMilliseconds: 30_000),
        FrequencyCase(own: nil, elapsed: 60, validate: true, requeueMilliseconds: 60_000),
        FrequencyCase(own: "10s", elapsed: 30, validate: true, requeueMilliseconds: 10_000),
        // A negative frequency takes the server's.
        FrequencyCase(own: "-5s", elapsed: 30, validate: false, requeueMilliseconds: 30_000),
        // 0 disables validation once the location was validated.
        FrequencyCase(own: "0s", elapsed: 3600, validate: false, requeueMilliseconds: nil),
    ])
    func validationFollowsTheFrequency(_ test: FrequencyCase) {
        var location = Self.location()
        location.spec.validationFrequency = test.own
        location.status?.lastValidationTime = Timestamps.format(Self.now.addingTimeInterval(-test.elapsed))
        let decision = LocationValidationDecision.decide(location, serverFrequency: .seconds(60), now: Self.now)
        #expect(decision.validate == test.validate)
        #expect(decision.requeueAfter == test.requeueMilliseconds.map { .milliseconds($0) })
    }

    @Test func theStatusSaysAvailableOrWhyNotInVelerosWords() {
        let location = Self.location("bad", phase: nil)
        let failed = LocationValidationDecision.status(of: location, error: "cannot list the location", now: Self.now)
        #expect(failed.phase == "Unavailable")
        #expect(failed.message == "BackupStorageLocation \"bad\" is unavailable: cannot list the location")
        #expect(failed.lastValidationTime == "2026-01-01T00:00:00Z")
        let good = LocationValidationDecision.status(of: location, error: nil, now: Self.now)
        #expect(good.phase == "Available" && good.message == nil)
    }

    @Test func ofSeveralDefaultsTheNewestStays() {
        var locations = ["a", "b", "c"].enumerated().map { index, name in
            var location = Self.location(name)
            location.spec.default = name != "c"
            location.metadata.creationTimestamp = Timestamps.format(Self.now.addingTimeInterval(Double(index)))
            return location
        }
        #expect(LocationValidationDecision.defaultsToUnset(locations) == ["a"])
        locations[0].spec.default = false
        #expect(LocationValidationDecision.defaultsToUnset(locations).isEmpty)
    }

    // MARK: - garbage collection

    @Test func aBackupNotExpiredIsLeftAlone() {
        let decision = GarbageCollectionDecision.decide(
            Self.backup("b", expiresIn: 1),
            location: .found(Self.location()),
            requestPhases: [],
            now: Self.now
        )
        #expect(decision == .notExpired)
        #expect(
            GarbageCollectionDecision.decide(Self.backup("b"), location: .notFound, requestPhases: [], now: Self.now)
                == .notExpired
        )
    }

    @Test func anExpiredBackupGetsARequestWithVelerosLabels() throws {
        let decision = GarbageCollectionDecision.decide(
            Self.backup("b", expiresIn: -1),
            location: .found(Self.location()),
            requestPhases: [DeleteBackupRequestPhase.processed],
            now: Self.now
        )
        guard case .delete(let request) = decision else {
            Issue.record(Comment(rawValue: "expected a request, got \(decision)"))
            return
        }
        #expect(request.metadata.generateName == "b-")
        #expect(request.metadata.namespace == "velero")
        #expect(request.metadata.labels == ["velero.io/backup-name": "b", "velero.io/backup-uid": "uid-b"])
        #expect(request.spec.backupName == "b")
    }

    @Test(arguments: [
        (GarbageCollectionDecision.Location.notFound, String?.some("BSLNotFound")),
        (.unreadable("boom"), "BSLCannotGet"),
        (.found(StorageDecisionTests.location(accessMode: "ReadOnly")), "BSLReadOnly"),
        (.found(StorageDecisionTests.location(phase: "Unavailable")), nil),
        (.found(StorageDecisionTests.location(phase: nil)), nil),
    ])
    func anExpiredBackupWhoseLocationCannotBeUsedIsSkipped(
        location: GarbageCollectionDecision.Location,
        label: String?
    ) {
        let decision = GarbageCollectionDecision.decide(
            Self.backup("b", expiresIn: -1),
            location: location,
            requestPhases: [],
            now: Self.now
        )
        guard case .blocked(let failure, _) = decision else {
            Issue.record(Comment(rawValue: "expected blocked, got \(decision)"))
            return
        }
        #expect(failure == label)
    }

    @Test(arguments: [String?.none, "New", "InProgress"])
    func aPendingRequestIsNotDuplicated(phase: String?) {
        let decision = GarbageCollectionDecision.decide(
            Self.backup("b", expiresIn: -1),
            location: .found(Self.location()),
            requestPhases: [phase],
            now: Self.now
        )
        #expect(decision == .pending)
    }

    // MARK: - deletion requests

    static func request(phase: String? = nil, age: Double = 0, backup: String = "b") -> DeleteBackupRequest {
        var metadata = ObjectMeta(name: "b-x", namespace: "velero")
        metadata.creationTimestamp = Timestamps.format(now.addingTimeInterval(-age))
        return DeleteBackupRequest(
            metadata: metadata,
            spec: .init(backupName: backup),
            status: phase.map { DeleteBackupRequest.Status(phase: $0) }
        )
    }

    @Test func processedRequestsAreKeptADayThenDeleted() {
        #expect(DeletionRequestDecision.triage(Self.request(), now: Self.now) == .run)
        #expect(
            DeletionRequestDecision.triage(Self.request(phase: "Processed", age: 3600), now: Self.now)
                == .wait(requeueAfter: .seconds(23 * 3600))
        )
        #expect(
            DeletionRequestDecision.triage(Self.request(phase: "InProgress", age: 86_400), now: Self.now) == .expire
        )
        #expect(
            DeletionRequestDecision.triage(Self.request(backup: ""), now: Self.now)
                == .reject("spec.backupName is required")
        )
    }

    @Test func deletionIsRefusedWithVelerosMessages() {
        let backup = Self.backup("b")
        #expect(DeletionRequestDecision.check(backup: nil, location: .notFound) == .reject("backup not found"))
        #expect(
            DeletionRequestDecision.check(backup: Self.backup("b", phase: "InProgress"), location: .notFound)
                == .reject("backup is still in progress")
        )
        #expect(
            DeletionRequestDecision.check(backup: backup, location: .notFound)
                == .reject("backup storage location default not found")
        )
        #expect(
            DeletionRequestDecision.check(backup: backup, location: .found(Self.location(accessMode: "ReadOnly")))
                == .reject(
                    "cannot delete backup because backup storage location default is currently in read-only mode"
                )
        )
        #expect(
            DeletionRequestDecision.check(backup: backup, location: .found(Self.location(phase: "Unavailable")))
                == .reject(
                    "cannot delete backup because backup storage location default is currently in Unavailable state"
                )
        )
        #expect(DeletionRequestDecision.check(backup: backup, location: .found(Self.location())) == .run)
    }

    // MARK: - sync

    @Test func syncRunsEveryPeriodWhileTheLocationIsAvailable() {
        func schedule(_ location: BackupStorageLocation) -> (Bool, Duration?) {
            let decision = BackupSyncDecision.schedule(location, defaultPeriod: .seconds(60), now: Self.now)
            return (decision.due, decision.requeueAfter)
        }
        var location = Self.location()
        #expect(schedule(location) == (true, Duration.seconds(60)))
        location.status?.lastSyncedTime = Timestamps.format(Self.now.addingTimeInterval(-20))
        #expect(schedule(location) == (false, Duration.seconds(40)))
        location.spec.backupSyncPeriod = "10s"
        #expect(schedule(location) == (true, Duration.seconds(10)))
        location.spec.backupSyncPeriod = "0s"
        #expect(schedule(location) == (false, Duration?.none))
        #expect(schedule(Self.location(phase: "Unavailable")) == (false, Duration.seconds(60)))
    }

    @Test func aSyncedBackupMovesToTheServersNamespaceAndLocation() throws {
        var read = Self.backup("b")
        read.metadata.namespace = "other"
        read.metadata.resourceVersion = "42"
        read.spec.storageLocation = "theirs"
        read.metadata.labels = ["team": "a", "velero.io/storage-location": "theirs"]
        let synced = try #require(BackupSyncDecision.synced(read, location: "mine", namespace: "velero", now: Self.now))
        #expect(synced.metadata.namespace == "velero")
        #expect(synced.metadata.resourceVersion == nil && synced.metadata.uid == nil)
        #expect(synced.spec.storageLocation == "mine")
        #expect(synced.metadata.labels == ["team": "a", "velero.io/storage-location": "mine"])
        #expect(synced.status?.phase == "Completed")
    }

    @Test func anIncompleteBackupIsSyncedOnlyOnceExpired() throws {
        let waiting = Self.backup("b", phase: BackupPhase.finalizing, expiresIn: 60)
        #expect(BackupSyncDecision.synced(waiting, location: "l", namespace: "velero", now: Self.now) == nil)
        let expired = Self.backup("b", phase: BackupPhase.waitingForPluginOperations, expiresIn: -60)
        let synced = try #require(BackupSyncDecision.synced(expired, location: "l", namespace: "velero", now: Self.now))
        #expect(synced.status?.phase == "PartiallyFailed")
    }

    @Test func onlyFinishedBackupsMissingFromTheLocationAreDeleted() {
        let backups = [
            Self.backup("kept"), Self.backup("gone"), Self.backup("partial", phase: "PartiallyFailed"),
            Self.backup("failed", phase: "Failed"), Self.backup("running", phase: "InProgress"),
        ]
        #expect(BackupSyncDecision.orphans(backups, inStore: ["kept"]) == ["gone", "partial"])
        #expect(BackupSyncDecision.missing(inStore: ["a", "b", "c"], inCluster: ["b"]) == ["a", "c"])
    }
}
