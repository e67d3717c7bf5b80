import Controllers
import Foundation
import Testing
import VeleroAPI

@Suite struct ScheduleDecisionTests {
    static let created = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func schedule(_ expression: String, status: Schedule.Status? = nil) -> Schedule {
        var metadata = ObjectMeta(name: "nightly", namespace: "velero", labels: ["team": "a"])
        metadata.uid = "uid-1"
        metadata.creationTimestamp = Timestamps.format(created)
        var template = BackupSpec()
        template.includedNamespaces = ["app"]
        var schedule = Schedule(metadata: metadata, spec: .init(template: template, schedule: expression))
        schedule.status = status
        return schedule
    }

    @Test func notDueWaitsUntilTheNextActivation() {
        let decision = ScheduleDecision.decide(
            Self.schedule("@every 1h"),
            now: Self.created.addingTimeInterval(600),
            backupRunning: false
        )
        #expect(decision.backup == nil)
        #expect(decision.updated?.status?.phase == SchedulePhase.enabled)
        #expect(decision.updated?.spec.skipImmediately == false)
        // 50 minutes to the activation, plus the millisecond that makes it strictly past.
        #expect(decision.requeueAfter == .milliseconds(3_000_001))
    }

    @Test func dueCreatesTheTimestampedBackupWithTheSchedulesLabels() throws {
        let now = Self.created.addingTimeInterval(3601)
        let decision = ScheduleDecision.decide(Self.schedule("@every 1h"), now: now, backupRunning: false)
        let backup = try #require(decision.backup)
        #expect(backup.metadata.name == "nightly-20260101010001")
        #expect(backup.metadata.namespace == "velero")
        #expect(backup.metadata.labels == ["team": "a", VeleroLabels.scheduleName: "nightly"])
        #expect(backup.spec.includedNamespaces == ["app"])
        #expect(backup.metadata.ownerReferences == nil)
        #expect(decision.updated?.status?.lastBackup == Timestamps.format(now))
        #expect(decision.requeueAfter == .milliseconds(3_600_001))
    }

    @Test func templateLabelsReplaceTheSchedulesAndOwnerReferencesAreOptIn() throws {
        var schedule = Self.schedule("@every 1h")
        schedule.spec.template.metadata = .init(labels: ["from": "template"])
        schedule.spec.useOwnerReferencesInBackup = true
        let backup = try #require(
            ScheduleDecision.decide(schedule, now: Self.created.addingTimeInterval(3601), backupRunning: false).backup
        )
        #expect(backup.metadata.labels == ["from": "template", VeleroLabels.scheduleName: "nightly"])
        let owner = try #require(backup.metadata.ownerReferences?.first)
        #expect(owner.kind == "Schedule" && owner.name == "nightly" && owner.uid == "uid-1" && owner.controller == true)
    }

    @Test func aRunningBackupHoldsTheNextOne() {
        let decision = ScheduleDecision.decide(
            Self.schedule("@every 1h", status: .init(phase: SchedulePhase.enabled)),
            now: Self.created.addingTimeInterval(3601),
            backupRunning: true
        )
        #expect(decision.backup == nil)
        #expect(decision.requeueAfter == .seconds(1))
    }

    @Test func pausedSchedulesAreLeftAlone() {
        var schedule = Self.schedule("@every 1m")
        schedule.spec.paused = true
        let decision = ScheduleDecision.decide(
            schedule,
            now: Self.created.addingTimeInterval(86400),
            backupRunning: false
        )
        #expect(decision.backup == nil && decision.updated == nil && decision.requeueAfter == nil)
    }

    @Test func skipImmediatelyCountsTheFirstTickFromNow() {
        var schedule = Self.schedule("@every 1h")
        schedule.spec.skipImmediately = true
        let now = Self.created.addingTimeInterval(7200)
        let decision = ScheduleDecision.decide(schedule, now: now, backupRunning: false)
        #expect(decision.backup == nil)
        #expect(decision.updated?.spec.skipImmediately == false)
        #expect(decision.updated?.status?.lastSkipped == Timestamps.format(now))
        #expect(decision.requeueAfter == .milliseconds(3_600_001))
    }

    @Test func badCronFailsValidationWithVelerosMessage() {
        let bad = ScheduleDecision.decide(Self.schedule("0 * *"), now: Self.created, backupRunning: false)
        #expect(bad.updated?.status?.phase == SchedulePhase.failedValidation)
        #expect(
            bad.updated?.status?.validationErrors == ["invalid schedule: expected exactly 5 fields, found 3: [0 * *]"]
        )
        #expect(bad.backup == nil && bad.requeueAfter == nil)
        let empty = ScheduleDecision.decide(Self.schedule(""), now: Self.created, backupRunning: false)
        #expect(empty.updated?.status?.validationErrors == ["Schedule must be a non-empty valid Cron expression"])
    }

    @Test func anUnchangedScheduleIsNotWritten() {
        var status = Schedule.Status(phase: SchedulePhase.enabled)
        status.lastBackup = Timestamps.format(Self.created)
        var schedule = Self.schedule("@every 1h", status: status)
        schedule.spec.skipImmediately = false
        let decision = ScheduleDecision.decide(schedule, now: Self.created.addingTimeInterval(10), backupRunning: false)
        #expect(decision.updated == nil)
        #expect(decision.backup == nil)
    }
}
