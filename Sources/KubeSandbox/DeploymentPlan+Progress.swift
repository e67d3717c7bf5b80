import Foundation
import Kubernetes

extension DeploymentPlan {
    /// The status counts the `Progressing` condition is decided on.
    struct Counts: Sendable, Equatable {
        var replicas: Int
        var updated: Int
        var ready: Int
        var available: Int

        /// Reads `replicas`, `updatedReplicas`, `readyReplicas` and `availableReplicas` (0 when left out).
        init(_ status: JSONValue?) {
            func count(_ field: String) -> Int { Int(status?[field]?.intValue ?? 0) }
            self.init(
                replicas: count("replicas"),
                updated: count("updatedReplicas"),
                ready: count("readyReplicas"),
                available: count("availableReplicas")
            )
        }

        init(replicas: Int, updated: Int, ready: Int, available: Int) {
            self.replicas = replicas
            self.updated = updated
            self.ready = ready
            self.available = available
        }

        /// `DeploymentProgressing`: more updated, Ready or available pods than `before`, or fewer old ones.
        func progressed(since before: Counts) -> Bool {
            updated > before.updated || replicas - updated < before.replicas - before.updated
                || ready > before.ready || available > before.available
        }
    }

    /// The `Progressing` condition as the Deployment controller's `syncRolloutStatus` keeps it: left alone once
    /// the rollout completed (`NewReplicaSetAvailable`) while every pod is updated; `NewReplicaSetAvailable`
    /// when it completes; `NewReplicaSetCreated` for a new set, `DeploymentResumed` after a pause, then
    /// `ReplicaSetUpdated`, each with a fresh `lastUpdateTime` (at each step of progress);
    /// `False`/`ProgressDeadlineExceeded` once `progressDeadlineSeconds` pass after the last progress.
    static func progressing(
        _ conditions: [JSONValue],
        newSet: DeploymentReplicaSet,
        replicas: Int,
        counts: Counts,
        previous: JSONValue?,
        progressDeadlineSeconds: Int?,
        now: String
    ) -> [JSONValue] {
        let current = conditions.first { $0["type"] == "Progressing" }
        let reason = current?["reason"]?.stringValue
        if counts.replicas == counts.updated && reason == "NewReplicaSetAvailable" { return conditions }
        let complete =
            counts.updated == replicas && counts.replicas == replicas && counts.available == replicas
            && newSet.replicas == replicas
        if complete {
            return Workloads.setCondition(
                conditions,
                type: "Progressing",
                status: "True",
                reason: "NewReplicaSetAvailable",
                message: "ReplicaSet \"\(newSet.name)\" has successfully progressed.",
                now: now,
                updateTime: true
            )
        }
        // A resumed Deployment and a new rollout (the condition names another set) start their clock afresh.
        let resumed = reason == "DeploymentPaused"
        let namesNoSet = reason == "DeploymentPaused" || reason == "DeploymentResumed"
        let otherSet = !namesNoSet && !(current?["message"]?.stringValue ?? "").contains("\"\(newSet.name)\"")
        if current == nil || resumed || otherSet || counts.progressed(since: Counts(previous)) {
            // The first word on a new set is `NewReplicaSetCreated` (or `DeploymentResumed` after a pause).
            let fresh = current == nil || otherSet
            var result = Workloads.setCondition(
                conditions,
                type: "Progressing",
                status: !fresh && resumed ? "Unknown" : "True",
                reason: fresh ? "NewReplicaSetCreated" : resumed ? "DeploymentResumed" : "ReplicaSetUpdated",
                message: fresh
                    ? "Created new replica set \"\(newSet.name)\""
                    : resumed ? "Deployment is resumed" : "ReplicaSet \"\(newSet.name)\" is progressing.",
                now: now,
                updateTime: true
            )
            if let index = result.firstIndex(where: { $0["type"] == "Progressing" }) {
                result[index]["lastUpdateTime"] = .string(now)
            }
            return result
        }
        if let deadline = timeout(conditions, progressDeadlineSeconds: progressDeadlineSeconds),
            let time = try? Date(now, strategy: .iso8601), deadline < time
        {
            return Workloads.setCondition(
                conditions,
                type: "Progressing",
                status: "False",
                reason: "ProgressDeadlineExceeded",
                message: "ReplicaSet \"\(newSet.name)\" has timed out progressing.",
                now: now,
                updateTime: true
            )
        }
        return conditions
    }

    /// When a rollout still progressing times out: its `Progressing` condition's `lastUpdateTime` plus
    /// `progressDeadlineSeconds` (nil without a deadline, or when the rollout completed, timed out or is paused).
    static func timeout(_ conditions: [JSONValue], progressDeadlineSeconds: Int?) -> Date? {
        guard let progressDeadlineSeconds,
            let condition = conditions.first(where: { $0["type"] == "Progressing" }),
            condition["status"] != "False", condition["reason"] != "NewReplicaSetAvailable",
            condition["reason"] != "DeploymentPaused",
            let text = condition["lastUpdateTime"]?.stringValue, let updated = try? Date(text, strategy: .iso8601)
        else { return nil }
        return updated.addingTimeInterval(TimeInterval(progressDeadlineSeconds))
    }
}
