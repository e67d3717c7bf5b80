import Foundation
import Kubernetes

/// The ReplicaSet controller's decisions: how many pods to create, which to delete, the status to write.
struct ReplicaSetPlan: Sendable, Equatable {
    /// Pods to create.
    var create: Int
    /// Pods to delete, by name.
    var delete: [String]
    /// The status (`replicas`, `fullyLabeledReplicas`, `readyReplicas`, `availableReplicas`,
    /// `observedGeneration`; zero counts left out as Kubernetes omits them).
    var status: JSONValue
    /// When to look again: a Ready pod turns available then (`minReadySeconds`).
    var recheck: Date? = nil

    /// Decides for a ReplicaSet wanting `replicas` pods that owns `pods`. Surplus pods go unscheduled first,
    /// then not Ready, then the newest (as the ReplicaSet controller ranks them). A pod counts as available
    /// once it has been Ready for `minReadySeconds` at `now`.
    static func decide(
        replicas: Int,
        pods: [WorkloadPod],
        generation: Int64,
        minReadySeconds: Int = 0,
        now: Date = Date()
    ) -> ReplicaSetPlan {
        let active = pods.filter(\.active)
        var create = 0
        var delete: [String] = []
        if active.count < replicas {
            create = replicas - active.count
        } else if active.count > replicas {
            let ranked = active.sorted { a, b in
                if a.scheduled != b.scheduled { return !a.scheduled }
                if a.ready != b.ready { return !a.ready }
                if a.creationTimestamp != b.creationTimestamp { return a.creationTimestamp > b.creationTimestamp }
                return a.name < b.name
            }
            delete = ranked.prefix(active.count - replicas).map(\.name)
        }
        let ready = active.filter(\.ready).count
        let available = active.filter { $0.available(minReadySeconds: minReadySeconds, now: now) }.count
        var status: JSONObject = ["replicas": .int(Int64(active.count))]
        if !active.isEmpty { status["fullyLabeledReplicas"] = .int(Int64(active.count)) }
        if ready > 0 { status["readyReplicas"] = .int(Int64(ready)) }
        if available > 0 { status["availableReplicas"] = .int(Int64(available)) }
        status["observedGeneration"] = .int(generation)
        return ReplicaSetPlan(
            create: create,
            delete: delete,
            status: .object(status),
            recheck: WorkloadPod.nextAvailability(active, minReadySeconds: minReadySeconds, now: now)
        )
    }
}

extension ClusterController {
    static let replicaSetsKey = "replicasets.apps"

    /// Adopts matching orphan pods, creates or deletes pods towards `spec.replicas`, writes the status.
    func reconcileReplicaSet(_ key: ObjectKey) async {
        guard case let (_, stored, set)? = decode(Self.replicaSetsKey, key), !stored.deleting,
            let selector = try? LabelSelector(json: set["spec"]?["selector"])
        else { return }
        let reference = Workloads.controllerReference(
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: key.name,
            uid: stored.uid
        )
        var owned: [WorkloadPod] = []
        for (podKey, podStored, pod) in pods(in: key.namespace, matching: selector) {
            if let owner = Workloads.controllerOf(pod) {
                if owner.uid == stored.uid { owned.append(WorkloadPod(pod, deleting: podStored.deleting)) }
            } else if !podStored.deleting {
                await adopt("pods", podKey, owner: reference)
                owned.append(WorkloadPod(pod, deleting: false))
            }
        }
        let replicas = Int(set["spec"]?["replicas"]?.intValue ?? 1)
        let generation = set["metadata"]?["generation"]?.intValue ?? 1
        let plan = ReplicaSetPlan.decide(
            replicas: replicas,
            pods: owned,
            generation: generation,
            minReadySeconds: Int(set["spec"]?["minReadySeconds"]?.intValue ?? 0)
        )
        recheck(Self.replicaSetsKey, key, at: plan.recheck)
        for _ in 0..<plan.create {
            var metadata = set["spec"]?["template"]?["metadata"]?.objectValue ?? [:]
            metadata["name"] = .string(NameValidation.generate(prefix: "\(key.name)-"))
            metadata["generateName"] = .string("\(key.name)-")
            metadata["namespace"] = nil
            metadata["ownerReferences"] = [reference]
            let pod: JSONValue = ["metadata": .object(metadata), "spec": set["spec"]?["template"]?["spec"] ?? [:]]
            await createObject("v1", "pods", namespace: key.namespace, pod)
        }
        for name in plan.delete {
            await deleteObject("v1", "pods", namespace: key.namespace, name: name)
        }
        await editObject(Self.replicaSetsKey, key, subresource: "status") { object in
            var status = plan.status
            // The ReplicaSet's own conditions (ReplicaFailure) are not played; keep whatever is there.
            if let conditions = object["status"]?["conditions"] { status["conditions"] = conditions }
            object["status"] = status
        }
    }
}
