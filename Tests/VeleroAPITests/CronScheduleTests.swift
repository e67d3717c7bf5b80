import Foundation
import Testing

@testable import VeleroAPI

/// Schedules step as Velero's server steps them (robfig/cron v3 `ParseStandard` + `getNextRunTime`).
struct CronScheduleTests {
    static func date(_ text: String) -> Date {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601)) ?? .distantPast
    }

    static func next(_ expression: String, after: String) throws -> String? {
        try CronSchedule(parsing: expression).next(after: date(after)).map { $0.formatted(.iso8601) }
    }

    @Test(arguments: [
        ("0 */6 * * *", "2026-12-07T07:00:00Z", "2026-12-07T12:00:00Z"),
        ("*/5 * * * *", "2026-12-07T07:03:10Z", "2026-12-07T07:05:00Z"),
        ("0 * * * *", "2026-12-07T07:00:00Z", "2026-12-07T08:00:00Z"),
        ("0 0 1 * *", "2026-12-07T07:00:00Z", "2027-01-01T00:00:00Z"),
        ("0 0 * * MON", "2026-12-07T07:00:00Z", "2026-12-14T00:00:00Z"),
        ("0 0 13 * FRI", "2026-12-07T07:00:00Z", "2026-12-11T00:00:00Z"),
        ("30 2 * jan-mar ?", "2026-12-07T07:00:00Z", "2027-01-01T02:30:00Z"),
        ("15,45 9-17/4 * * 1-5", "2026-12-07T13:50:00Z", "2026-12-07T17:15:00Z"),
        ("@daily", "2026-12-07T07:00:00Z", "2026-12-08T00:00:00Z"),
        ("@weekly", "2026-12-07T07:00:00Z", "2026-12-13T00:00:00Z"),
        ("@monthly", "2026-12-07T07:00:00Z", "2027-01-01T00:00:00Z"),
        ("@yearly", "2026-12-07T07:00:00Z", "2027-01-01T00:00:00Z"),
        ("@hourly", "2026-12-07T07:59:59Z", "2026-12-07T08:00:00Z"),
        ("@every 5s", "2026-12-07T07:00:00.700Z", "2026-12-07T07:00:05Z"),
        ("@every 1h30m", "2026-12-07T07:00:00Z", "2026-12-07T08:30:00Z"),
        ("@every 100ms", "2026-12-07T07:00:00Z", "2026-12-07T07:00:01Z"),
        ("CRON_TZ=Europe/Berlin 0 9 * * *", "2026-12-07T07:00:00Z", "2026-12-07T08:00:00Z"),
        ("TZ=America/New_York 0 0 * * *", "2026-12-07T07:00:00Z", "2026-12-08T05:00:00Z"),
    ])
    func stepsToTheNextActivation(expression: String, after: String, expected: String) throws {
        #expect(try Self.next(expression, after: after) == expected)
    }

    @Test func anImpossibleDayHasNoActivation() throws {
        #expect(try Self.next("0 0 30 2 *", after: "2026-12-07T07:00:00Z") == nil)
    }

    @Test(arguments: [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("*/2/3 * * * *", "too many slashes: */2/3"),
        ("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("@every 5x", "failed to parse duration @every 5x: time: invalid duration \"5x\""),
        ("TZ=Nowhere/City 0 0 * * *", "provided bad location Nowhere/City: unknown time zone Nowhere/City"),
    ])
    func rejectsWithCronsMessage(expression: String, message: String) {
        #expect(throws: CronSchedule.ParseError(message: message)) { try CronSchedule(parsing: expression) }
    }

    @Test func scheduleNamesAndDueTimesFollowVelero() throws {
        var schedule = Schedule(
            metadata: ObjectMeta(name: "daily", namespace: "velero"),
            spec: Schedule.Spec(schedule: "@every 5s")
        )
        schedule.metadata.creationTimestamp = "2026-12-07T07:00:00Z"
        #expect(schedule.timestampedName(at: Self.date("2026-12-07T07:08:09.5Z")) == "daily-20261207070809")
        let cron = try CronSchedule(parsing: schedule.spec.schedule)
        let early = schedule.nextRun(of: cron, now: Self.date("2026-12-07T07:00:04Z"))
        #expect(!early.due && early.next == Self.date("2026-12-07T07:00:05Z"))
        #expect(schedule.nextRun(of: cron, now: Self.date("2026-12-07T07:00:06Z")).due)
        schedule.status = Schedule.Status(phase: SchedulePhase.enabled)
        schedule.status?.lastBackup = "2026-12-07T07:00:05Z"
        #expect(
            schedule.nextRun(of: cron, now: Self.date("2026-12-07T07:00:06Z")).next == Self.date("2026-12-07T07:00:10Z")
        )
        schedule.status?.lastSkipped = "2026-12-07T07:00:20Z"
        #expect(
            schedule.nextRun(of: cron, now: Self.date("2026-12-07T07:00:21Z")).next == Self.date("2026-12-07T07:00:25Z")
        )
    }
}
