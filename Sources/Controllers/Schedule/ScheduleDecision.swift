package import Foundation
import Kubernetes
package import VeleroAPI

/// What the Schedule controller does with one Schedule at one moment (Velero 1.18's `scheduleReconciler`,
/// `pkg/controller/schedule_controller.go`), decided without touching the cluster.
///
/// - A paused schedule is left alone (Velero's predicate drops it before its reconcile).
/// - `spec.skipImmediately` unset takes the server's `--schedule-skip-immediately`; when true it is reset to false
///   and `status.lastSkipped` set to now, so the first tick counts from now.
/// - The cron expression is parsed (robfig/cron `ParseStandard`): the phase becomes `Enabled`, or
///   `FailedValidation` with `validationErrors` (Velero's messages).
/// - When enabled and due (the next activation after the last backup — else the creation time, or the last skip
///   when later — has passed) and no Backup of the schedule is `New` or `InProgress`, a Backup is created and
///   `status.lastBackup` set to now.
/// - Unlike Velero, which looks at every schedule once a minute, the controller comes back exactly at the next
///   activation (``requeueAfter``), so `@every 5s` fires every five seconds.
package struct ScheduleDecision: Sendable, Equatable {
    /// The schedule's spec and status to write, when they change.
    package var updated: Schedule?
    /// The Backup to create.
    package var backup: Backup?
    /// When to look at the schedule again (nil: only when it changes).
    package var requeueAfter: Duration?

    /// Decides for `schedule` at `now`.
    ///
    /// - Parameters:
    ///   - schedule: the Schedule as read.
    ///   - now: the current time.
    ///   - skipImmediatelyDefault: the server's `--schedule-skip-immediately`.
    ///   - backupRunning: whether a Backup labelled with the schedule's name is `New`, `InProgress` (or has no
    ///     phase yet).
    package static func decide(
        _ schedule: Schedule,
        now: Date,
        skipImmediatelyDefault: Bool = false,
        backupRunning: Bool
    ) -> ScheduleDecision {
        guard schedule.spec.paused != true else { return ScheduleDecision() }
        var updated = schedule
        var status = schedule.status ?? Schedule.Status()
        if updated.spec.skipImmediately ?? skipImmediatelyDefault {
            updated.spec.skipImmediately = false
            status.lastSkipped = Timestamps.format(now)
        } else if updated.spec.skipImmediately == nil {
            updated.spec.skipImmediately = skipImmediatelyDefault
        }

        let parsed = parse(schedule.spec.schedule)
        switch parsed {
        case .success:
            status.phase = SchedulePhase.enabled
            status.validationErrors = nil
        case .failure(let errors):
            status.phase = SchedulePhase.failedValidation
            status.validationErrors = errors.messages
        }
        updated.status = status

        var decision = ScheduleDecision()
        guard case .success(let cron) = parsed else {
            decision.updated = updated == schedule ? nil : updated
            return decision
        }
        let (due, next) = updated.nextRun(of: cron, now: now)
        if due && !backupRunning {
            decision.backup = backup(of: updated, at: now)
            updated.status?.lastBackup = Timestamps.format(now)
            if let following = updated.nextRun(of: cron, now: now).next {
                decision.requeueAfter = delay(from: now, to: following)
            }
        } else if due {
            // A backup of the schedule still runs: look again shortly (Velero waits for its next minute).
            decision.requeueAfter = .seconds(1)
        } else if let next {
            decision.requeueAfter = delay(from: now, to: next)
        }
        decision.updated = updated == schedule ? nil : updated
        return decision
    }

    /// The errors of a schedule that cannot be parsed, in Velero's words.
    package struct ValidationErrors: Error, Equatable {
        package var messages: [String]
    }

    /// Velero's `parseCronSchedule`.
    static func parse(_ expression: String) -> Result<CronSchedule, ValidationErrors> {
        guard !expression.isEmpty else {
            return .failure(ValidationErrors(messages: ["Schedule must be a non-empty valid Cron expression"]))
        }
        do {
            return .success(try CronSchedule(parsing: expression))
        } catch {
            return .failure(ValidationErrors(messages: ["invalid schedule: \(error.message)"]))
        }
    }

    /// Velero's `getBackup` / `BackupBuilder.FromSchedule`: named `<schedule>-<yyyyMMddHHmmss>` in the schedule's
    /// namespace, the template's labels (else the schedule's) plus `velero.io/schedule-name`, the schedule's
    /// annotations, the template as spec, and the schedule as controlling owner when `useOwnerReferencesInBackup`.
    package static func backup(of schedule: Schedule, at date: Date) -> Backup {
        let scheduleName = schedule.metadata.name ?? ""
        var labels = schedule.spec.template.metadata?.labels ?? schedule.metadata.labels ?? [:]
        labels[VeleroLabels.scheduleName] = scheduleName
        var metadata = ObjectMeta(name: schedule.timestampedName(at: date), namespace: schedule.metadata.namespace)
        metadata.labels = labels
        metadata.annotations = schedule.metadata.annotations
        if schedule.spec.useOwnerReferencesInBackup == true {
            metadata.ownerReferences = [
                OwnerReference(
                    apiVersion: Schedule.kindInfo.apiVersion,
                    kind: Schedule.kindInfo.kind,
                    name: scheduleName,
                    uid: schedule.metadata.uid ?? "",
                    controller: true
                )
            ]
        }
        return Backup(metadata: metadata, spec: schedule.spec.template)
    }

    /// The wait from `now` until just after `date` (the schedule is due once strictly past it).
    static func delay(from now: Date, to date: Date) -> Duration {
        let seconds = max(0, date.timeIntervalSince(now))
        return .milliseconds(Int64((seconds * 1000).rounded(.up)) + 1)
    }
}
