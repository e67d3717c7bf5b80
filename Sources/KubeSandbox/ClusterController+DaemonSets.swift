import Foundation
import Kubernetes

/// A DaemonSet's pod as its controller weighs it: the node it is bound to and its revision.
struct DaemonPod: Sendable, Equatable {
    var node: String
    var pod: WorkloadPod
    /// The pod's `controller-revision-hash` label.
    var revision: String
}

/// The DaemonSet controller's decisions: a pod on every node the template admits, none elsewhere.
struct DaemonSetPlan: Sendable, Equatable {
    /// Nodes that need a pod.
    var create: [String]
    /// Pods to delete, by name (on a node that no longer admits them, duplicates, finished pods, or one of an
    /// older revision when every other pod is available).
    var delete: [String]
    /// The status counts (`desiredNumberScheduled`, `currentNumberScheduled`, `numberMisscheduled`,
    /// `numberReady`, `updatedNumberScheduled`, `numberAvailable`, `numberUnavailable`).
    var counts: [String: Int]

    /// When to look again: a Ready pod turns available then (`minReadySeconds`).
    var recheck: Date? = nil

    /// Decides over the set's `pods` for the nodes that admit its template; a pod is available once it has
    /// been Ready for `minReadySeconds` at `now`.
    static func decide(
        eligibleNodes: [String],
        updateRevision: String,
        pods: [DaemonPod],
        minReadySeconds: Int = 0,
        now: Date = Date()
    ) -> DaemonSetPlan {
        let eligible = Set(eligibleNodes)
        var plan = DaemonSetPlan(create: [], delete: [], counts: [:])
        var kept: [String: DaemonPod] = [:]
        for pod in pods.sorted(by: { $0.pod.creationTimestamp < $1.pod.creationTimestamp }) where !pod.pod.deleting {
            if !pod.pod.active || !eligible.contains(pod.node) || kept[pod.node] != nil {
                plan.delete.append(pod.pod.name)
            } else {
                kept[pod.node] = pod
            }
        }
        let waiting = Set(pods.filter { $0.pod.deleting }.map(\.node))
        plan.create = eligibleNodes.filter { kept[$0] == nil && !waiting.contains($0) }.sorted()
        let current = Array(kept.values)
        let ready = current.filter(\.pod.ready).count
        let available = current.filter { $0.pod.available(minReadySeconds: minReadySeconds, now: now) }.count
        if plan.create.isEmpty && plan.delete.isEmpty && waiting.isEmpty && ready == current.count,
            let stale = current.filter({ $0.revision != updateRevision }).min(by: { $0.node < $1.node })
        {
            plan.delete = [stale.pod.name]  // maxUnavailable 1
        }
        let misscheduled = pods.filter { !$0.pod.deleting && $0.pod.active && !eligible.contains($0.node) }.count
        plan.counts = [
            "desiredNumberScheduled": eligible.count, "currentNumberScheduled": current.count,
            "numberMisscheduled": misscheduled, "numberReady": ready,
            "updatedNumberScheduled": current.filter { $0.revision == updateRevision }.count,
            "numberAvailable": available, "numberUnavailable": max(eligible.count - available, 0),
        ]
        plan.recheck = WorkloadPod.nextAvailability(current.map(\.pod), minReadySeconds: minReadySeconds, now: now)
        return plan
    }
}

extension ClusterController {
    static let daemonSetsKey = "daemonsets.apps"

    /// DaemonSet events reconcile that set; node events every set (pod events come through
    /// ``workloadEvent(_:)``).
    func daemonSetEvent(_ event: WatchEvent) async {
        if event.storageKey == "nodes" {
            for (key, _) in everything(in: Self.daemonSetsKey) { await reconcileDaemonSet(key) }
        } else if event.kind != .deleted {
            await reconcileDaemonSet(event.key)
        }
    }

    /// Creates a pod for each admitting node (pinned there by a `metadata.name` node affinity, as the
    /// DaemonSet controller does), deletes the ones that no longer belong, writes the status.
    func reconcileDaemonSet(_ key: ObjectKey) async {
        guard case let (_, stored, set)? = decode(Self.daemonSetsKey, key), !stored.deleting,
            let podType = type("v1", "pods"), let nodeType = type("v1", "nodes")
        else { return }
        let template = set["spec"]?["template"] ?? [:]
        let hash = Workloads.templateHash(template)
        let probe: JSONValue = ["spec": Self.daemonPodSpec(template["spec"] ?? [:], node: nil)]
        let nodes = everything(in: nodeType.storageKey).compactMap { try? $0.1.decode(nodeType) }
        let eligible = nodes.filter { Scheduler(nodes: []).feasible(probe, on: $0) }.compactMap {
            $0["metadata"]?["name"]?.stringValue
        }
        var pods: [DaemonPod] = []
        for ref in core.store.dependents(of: stored.uid) where ref.storageKey == podType.storageKey {
            guard let podStored = core.store.get(ref.storageKey, ref.key), let pod = try? podStored.decode(podType),
                Workloads.controllerOf(pod)?.uid == stored.uid
            else { continue }
            let pinned = Self.pinnedNode(pod) ?? pod["spec"]?["nodeName"]?.stringValue ?? ""
            pods.append(
                DaemonPod(
                    node: pinned,
                    pod: WorkloadPod(pod, deleting: podStored.deleting),
                    revision: podStored.labels["controller-revision-hash"] ?? ""
                )
            )
        }
        let plan = DaemonSetPlan.decide(
            eligibleNodes: eligible,
            updateRevision: hash,
            pods: pods,
            minReadySeconds: Int(set["spec"]?["minReadySeconds"]?.intValue ?? 0)
        )
        recheck(Self.daemonSetsKey, key, at: plan.recheck)
        let generation = set["metadata"]?["generation"]?.intValue ?? 1
        for node in plan.create {
            var metadata = template["metadata"]?.objectValue ?? [:]
            var labels = metadata["labels"]?.objectValue ?? [:]
            labels["controller-revision-hash"] = .string(hash)
            labels["pod-template-generation"] = .string("\(generation)")
            metadata["labels"] = .object(labels)
            metadata["name"] = .string(NameValidation.generate(prefix: "\(key.name)-"))
            metadata["generateName"] = .string("\(key.name)-")
            metadata["namespace"] = nil
            metadata["ownerReferences"] = [
                Workloads.controllerReference(apiVersion: "apps/v1", kind: "DaemonSet", name: key.name, uid: stored.uid)
            ]
            let pod: JSONValue = [
                "metadata": .object(metadata), "spec": Self.daemonPodSpec(template["spec"] ?? [:], node: node),
            ]
            await createObject("v1", "pods", namespace: key.namespace, pod)
        }
        for name in plan.delete {
            await deleteObject("v1", "pods", namespace: key.namespace, name: name)
        }
        await editObject(Self.daemonSetsKey, key, subresource: "status") { object in
            var status: JSONObject = [:]
            for field in [
                "currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady",
                "updatedNumberScheduled", "numberAvailable", "numberUnavailable",
            ] {
                let value = plan.counts[field] ?? 0
                if value > 0 || !["updatedNumberScheduled", "numberAvailable", "numberUnavailable"].contains(field) {
                    status[field] = .int(Int64(value))
                }
            }
            status["observedGeneration"] = .int(generation)
            object["status"] = .object(status)
        }
    }

    /// A daemon pod's spec: the tolerations the DaemonSet controller adds and, for `node`, the required
    /// node affinity on `metadata.name` that pins the pod there.
    static func daemonPodSpec(_ spec: JSONValue, node: String?) -> JSONValue {
        var spec = spec
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        for (taint, effect) in [
            ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
            ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
        ] where !tolerations.contains(where: { $0["key"]?.stringValue == taint }) {
            tolerations.append(["key": .string(taint), "operator": "Exists", "effect": .string(effect)])
        }
        spec["tolerations"] = .array(tolerations)
        if let node {
            spec[path: ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]] = [
                "nodeSelectorTerms": [
                    ["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]]
                ]
            ]
        }
        return spec
    }

    /// The node a daemon pod's `metadata.name` affinity pins it to.
    static func pinnedNode(_ pod: JSONValue) -> String? {
        let required = pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]
        for term in required?["nodeSelectorTerms"]?.arrayValue ?? [] {
            for field in term["matchFields"]?.arrayValue ?? [] where field["key"] == "metadata.name" {
                if let node = field["values"]?[0]?.stringValue { return node }
            }
        }
        return nil
    }
}
