import Foundation
import Kubernetes

/// The Job controller's decisions, driven by its pods' phases (the sandbox runs no containers: a kubelet,
/// or a test playing one, sets the phases through the status subresource).
struct JobPlan: Sendable, Equatable {
    /// Where the Job stands.
    enum Outcome: Sendable, Equatable {
        case running
        /// Enough pods Succeeded (`Complete`, reason `CompletionsReached`).
        case complete
        /// More pods Failed than `backoffLimit` (`Failed`, reason `BackoffLimitExceeded`).
        case failed
    }

    var outcome: Outcome
    /// Pods to create.
    var create: Int
    /// Active pods to delete, by name (surplus, or all of them once the Job finished or is suspended).
    var delete: [String]
    var active: Int
    var ready: Int
    var succeeded: Int
    var failed: Int

    /// Decides for a Job with `completions` (nil: one pod's success completes it, a work queue when
    /// parallel), `parallelism` and `backoffLimit` over the pods it owns.
    static func decide(
        completions: Int?,
        parallelism: Int,
        backoffLimit: Int,
        suspended: Bool,
        pods: [WorkloadPod]
    ) -> JobPlan {
        let active = pods.filter(\.active)
        let succeeded = pods.filter { $0.phase == "Succeeded" }.count
        let failed = pods.filter { $0.phase == "Failed" }.count
        var plan = JobPlan(
            outcome: .running,
            create: 0,
            delete: [],
            active: active.count,
            ready: active.filter(\.ready).count,
            succeeded: succeeded,
            failed: failed
        )
        if failed > backoffLimit {
            plan.outcome = .failed
        } else if let completions, succeeded >= completions {
            plan.outcome = .complete
        } else if completions == nil, succeeded > 0, active.isEmpty {
            plan.outcome = .complete
        }
        if plan.outcome != .running || suspended {
            plan.delete = active.map(\.name).sorted()
            return plan
        }
        var wanted = parallelism
        if let completions { wanted = min(parallelism, completions - succeeded) }
        if completions == nil && succeeded > 0 { wanted = 0 }  // a work queue: no new pods after a success
        if active.count < wanted {
            plan.create = wanted - active.count
        } else if active.count > wanted {
            let newestFirst = active.sorted {
                ($0.ready ? 1 : 0, $1.creationTimestamp) < ($1.ready ? 1 : 0, $0.creationTimestamp)
            }
            plan.delete = newestFirst.prefix(active.count - wanted).map(\.name)
        }
        return plan
    }
}

extension ClusterController {
    static let jobsKey = "jobs.batch"

    /// Counts the Job's pods by phase, creates or deletes pods towards `parallelism`, writes the status
    /// (`active`, `ready`, `succeeded`, `failed`, `startTime`, `completionTime`, the Complete/Failed condition).
    func reconcileJob(_ key: ObjectKey) async {
        guard case let (_, stored, job)? = decode(Self.jobsKey, key), !stored.deleting, let podType = type("v1", "pods")
        else { return }
        let conditions = job["status"]?["conditions"]?.arrayValue ?? []
        let finished = conditions.contains {
            ($0["type"] == "Complete" || $0["type"] == "Failed") && $0["status"] == "True"
        }
        var pods: [WorkloadPod] = []
        for ref in core.store.dependents(of: stored.uid) where ref.storageKey == podType.storageKey {
            guard let podStored = core.store.get(ref.storageKey, ref.key), let pod = try? podStored.decode(podType),
                Workloads.controllerOf(pod)?.uid == stored.uid
            else { continue }
            pods.append(WorkloadPod(pod, deleting: podStored.deleting))
        }
        let spec = job["spec"]
        let parallelism = Int(spec?["parallelism"]?.intValue ?? 1)
        let plan = JobPlan.decide(
            completions: spec?["completions"]?.intValue.map { Int($0) },
            parallelism: parallelism,
            backoffLimit: Int(spec?["backoffLimit"]?.intValue ?? 6),
            suspended: spec?["suspend"] == true || finished,
            pods: pods
        )
        let reference = Workloads.controllerReference(
            apiVersion: "batch/v1",
            kind: "Job",
            name: key.name,
            uid: stored.uid
        )
        for _ in 0..<plan.create {
            var metadata = spec?["template"]?["metadata"]?.objectValue ?? [:]
            var labels = metadata["labels"]?.objectValue ?? [:]
            for label in ["batch.kubernetes.io/controller-uid", "controller-uid"] {
                labels[label] = .string(stored.uid)
            }
            for label in ["batch.kubernetes.io/job-name", "job-name"] { labels[label] = .string(key.name) }
            metadata["labels"] = .object(labels)
            metadata["name"] = .string(NameValidation.generate(prefix: "\(key.name)-"))
            metadata["generateName"] = .string("\(key.name)-")
            metadata["namespace"] = nil
            metadata["ownerReferences"] = [reference]
            let pod: JSONValue = ["metadata": .object(metadata), "spec": spec?["template"]?["spec"] ?? [:]]
            await createObject("v1", "pods", namespace: key.namespace, pod)
        }
        for name in plan.delete {
            await deleteObject("v1", "pods", namespace: key.namespace, name: name)
        }
        await editObject(Self.jobsKey, key, subresource: "status") { object in
            object["status"] = Self.jobStatus(plan, old: object["status"], now: SandboxCore.timestamp())
        }
    }

    /// The Job status after `plan`: counts (zeros left out but `ready`), `startTime` kept, and once finished
    /// `completionTime` (Complete) and the condition, which then stays.
    static func jobStatus(_ plan: JobPlan, old: JSONValue?, now: String) -> JSONValue {
        var status: JSONObject = [:]
        var conditions = old?["conditions"]?.arrayValue ?? []
        let finished = conditions.contains {
            ($0["type"] == "Complete" || $0["type"] == "Failed") && $0["status"] == "True"
        }
        status["startTime"] = old?["startTime"] ?? .string(now)
        for (field, value) in [("active", plan.active), ("succeeded", plan.succeeded), ("failed", plan.failed)]
        where value > 0 {
            status[field] = .int(Int64(value))
        }
        status["ready"] = .int(Int64(plan.ready))
        status["terminating"] = 0
        status["uncountedTerminatedPods"] = [:]
        if !finished && plan.outcome != .running {
            let complete = plan.outcome == .complete
            let criterion: JSONValue = [
                "type": complete ? "SuccessCriteriaMet" : "FailureTarget", "status": "True",
                "lastProbeTime": .string(now), "lastTransitionTime": .string(now),
                "reason": complete ? "CompletionsReached" : "BackoffLimitExceeded",
                "message": complete
                    ? "Reached expected number of succeeded pods" : "Job has reached the specified backoff limit",
            ]
            var final = criterion
            final["type"] = complete ? "Complete" : "Failed"
            conditions += [criterion, final]
            if complete { status["completionTime"] = .string(now) }
        } else if let completion = old?["completionTime"] {
            status["completionTime"] = completion
        }
        if !conditions.isEmpty { status["conditions"] = .array(conditions) }
        return .object(status)
    }
}
