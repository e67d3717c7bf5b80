import Foundation
import Kubernetes

/// A StatefulSet's pod as its controller weighs it: the ordinal and the revision it was made from.
struct StatefulPod: Sendable, Equatable {
    var ordinal: Int
    var pod: WorkloadPod
    /// The pod's `controller-revision-hash` label.
    var revision: String
}

/// The StatefulSet controller's decisions: which ordinals to create, which pods to delete, the counts.
struct StatefulSetPlan: Sendable, Equatable {
    /// Ordinals whose pod (and missing claims) to create.
    var create: [Int]
    /// Pods to delete, by name (ordinals beyond `replicas`, or one of an older revision).
    var delete: [String]

    /// Decides for `<name>-0..<replicas-1>`. OrderedReady makes the lowest missing ordinal only when every
    /// lower one is Running and Ready, and removes the highest surplus ordinal only when the others are
    /// Ready; Parallel makes and removes all at once. A pod of an older revision is replaced (deleted, then
    /// recreated at the next step) from the highest ordinal down, one at a time, once all pods are Ready.
    static func decide(
        name: String,
        replicas: Int,
        parallel: Bool,
        updateRevision: String,
        pods: [StatefulPod]
    ) -> StatefulSetPlan {
        var plan = StatefulSetPlan(create: [], delete: [])
        let byOrdinal = Dictionary(pods.map { ($0.ordinal, $0) }, uniquingKeysWith: { a, _ in a })
        let surplus = pods.filter { $0.ordinal >= replicas && !$0.pod.deleting }.sorted { $0.ordinal > $1.ordinal }
        for ordinal in 0..<max(replicas, 0) {
            if let existing = byOrdinal[ordinal] {
                // A finished pod is replaced; a deleting one is waited for.
                if !existing.pod.deleting && !existing.pod.active { plan.delete.append(existing.pod.name) }
                if !parallel && !(existing.pod.ready && existing.pod.active) { break }
                continue
            }
            plan.create.append(ordinal)
            if !parallel { break }
        }
        if !plan.create.isEmpty || !plan.delete.isEmpty { return plan }
        let allReady = pods.allSatisfy { $0.pod.ready && $0.pod.active }
        if !surplus.isEmpty {
            if parallel {
                plan.delete = surplus.map(\.pod.name)
            } else if allReady, let highest = surplus.first {
                plan.delete = [highest.pod.name]
            }
            return plan
        }
        if allReady, pods.count == replicas,
            let stale = pods.filter({ $0.revision != updateRevision }).max(by: { $0.ordinal < $1.ordinal })
        {
            plan.delete = [stale.pod.name]
        }
        return plan
    }

    /// The counts of a StatefulSet's status over its active pods: Ready, available (Ready for
    /// `minReadySeconds`), and of the update revision.
    static func counts(
        _ active: [StatefulPod],
        updateRevision: String,
        minReadySeconds: Int,
        now: Date
    ) -> (ready: Int, available: Int, updated: Int) {
        (
            active.filter(\.pod.ready).count,
            active.filter { $0.pod.available(minReadySeconds: minReadySeconds, now: now) }.count,
            active.filter { $0.revision == updateRevision }.count
        )
    }

    /// The claim name for a volumeClaimTemplate: `<claim>-<set>-<ordinal>`.
    static func claimName(_ claim: String, set: String, ordinal: Int) -> String { "\(claim)-\(set)-\(ordinal)" }
}

extension ClusterController {
    static let statefulSetsKey = "statefulsets.apps"

    /// StatefulSet events: reconcile the set (pod events come through ``workloadEvent(_:)``).
    func statefulSetEvent(_ event: WatchEvent) async {
        guard event.kind != .deleted else { return }
        await reconcileStatefulSet(event.key)
    }

    /// Creates, replaces and removes `<name>-<ordinal>` pods with their claims, writes the status.
    func reconcileStatefulSet(_ key: ObjectKey) async {
        guard case let (_, stored, set)? = decode(Self.statefulSetsKey, key), !stored.deleting,
            let podType = type("v1", "pods")
        else { return }
        let spec = set["spec"]
        let replicas = Int(spec?["replicas"]?.intValue ?? 1)
        let template = spec?["template"] ?? [:]
        let revision = "\(key.name)-\(Workloads.templateHash(template))"
        await adoptStatefulOrphans(key, set, uid: stored.uid)
        var pods: [StatefulPod] = []
        for ref in core.store.dependents(of: stored.uid) where ref.storageKey == podType.storageKey {
            guard let podStored = core.store.get(ref.storageKey, ref.key), let pod = try? podStored.decode(podType),
                Workloads.controllerOf(pod)?.uid == stored.uid, ref.key.name.hasPrefix("\(key.name)-"),
                let ordinal = Int(ref.key.name.dropFirst(key.name.count + 1))
            else { continue }
            pods.append(
                StatefulPod(
                    ordinal: ordinal,
                    pod: WorkloadPod(pod, deleting: podStored.deleting),
                    revision: podStored.labels["controller-revision-hash"] ?? ""
                )
            )
        }
        let plan = StatefulSetPlan.decide(
            name: key.name,
            replicas: replicas,
            parallel: spec?["podManagementPolicy"]?.stringValue == "Parallel",
            updateRevision: revision,
            pods: pods
        )
        for ordinal in plan.create {
            await createStatefulPod(key, set: set, uid: stored.uid, ordinal: ordinal, revision: revision)
        }
        for name in plan.delete {
            await deleteObject("v1", "pods", namespace: key.namespace, name: name)
        }
        let active = pods.filter(\.pod.active)
        let minReadySeconds = Int(spec?["minReadySeconds"]?.intValue ?? 0)
        let now = Date()
        let counts = StatefulSetPlan.counts(
            active,
            updateRevision: revision,
            minReadySeconds: minReadySeconds,
            now: now
        )
        recheck(
            Self.statefulSetsKey,
            key,
            at: WorkloadPod.nextAvailability(active.map(\.pod), minReadySeconds: minReadySeconds, now: now)
        )
        let generation = set["metadata"]?["generation"]?.intValue ?? 1
        await editObject(Self.statefulSetsKey, key, subresource: "status") { object in
            let old = object["status"]
            let previous = old?["currentRevision"]?.stringValue ?? revision
            let complete = counts.updated == replicas && active.count == replicas && counts.ready == replicas
            let current = complete ? revision : previous
            var status: JSONObject = [
                "observedGeneration": .int(generation), "replicas": .int(Int64(active.count)),
                "currentRevision": .string(current), "updateRevision": .string(revision),
                "collisionCount": old?["collisionCount"] ?? 0, "availableReplicas": .int(Int64(counts.available)),
            ]
            // Zero counts are left out (omitempty), but `replicas` and `availableReplicas`.
            let currentCount = active.filter { $0.revision == current }.count
            for (field, value) in [
                ("readyReplicas", counts.ready), ("currentReplicas", currentCount), ("updatedReplicas", counts.updated),
            ] where value > 0 {
                status[field] = .int(Int64(value))
            }
            object["status"] = .object(status)
        }
    }

    /// Adopts the pods without a controller that the selector matches and that are named `<name>-<ordinal>`
    /// (restored pods, whose owner references a restore removes), as the StatefulSet controller's
    /// ControllerRefManager does.
    private func adoptStatefulOrphans(_ key: ObjectKey, _ set: JSONValue, uid: String) async {
        guard let selector = try? LabelSelector(json: set["spec"]?["selector"]), !selector.isEmpty else { return }
        let reference = Workloads.controllerReference(
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            name: key.name,
            uid: uid
        )
        for (podKey, podStored, pod) in pods(in: key.namespace, matching: selector)
        where !podStored.deleting && Workloads.controllerOf(pod) == nil && podKey.name.hasPrefix("\(key.name)-")
            && Int(podKey.name.dropFirst(key.name.count + 1)) != nil
        {
            await adopt("pods", podKey, owner: reference)
        }
    }

    /// The pod `<name>-<ordinal>` (hostname, subdomain, identity labels, a volume per claim template) and its
    /// claims `<claim>-<name>-<ordinal>`, created when missing and not owned by the pod (they outlive it).
    private func createStatefulPod(
        _ key: ObjectKey,
        set: JSONValue,
        uid: String,
        ordinal: Int,
        revision: String
    )
        async
    {
        let spec = set["spec"]
        let podName = "\(key.name)-\(ordinal)"
        let selectorLabels = spec?["selector"]?["matchLabels"]?.objectValue ?? [:]
        var volumes = spec?["template"]?["spec"]?["volumes"]?.arrayValue ?? []
        for claim in spec?["volumeClaimTemplates"]?.arrayValue ?? [] {
            guard let claimTemplate = claim["metadata"]?["name"]?.stringValue else { continue }
            let claimName = StatefulSetPlan.claimName(claimTemplate, set: key.name, ordinal: ordinal)
            volumes.removeAll { $0["name"]?.stringValue == claimTemplate }
            volumes.append(["name": .string(claimTemplate), "persistentVolumeClaim": ["claimName": .string(claimName)]])
            if core.store.get("persistentvolumeclaims", ObjectKey(namespace: key.namespace, name: claimName)) != nil {
                continue
            }
            var labels = claim["metadata"]?["labels"]?.objectValue ?? [:]
            for (label, value) in selectorLabels { labels[label] = value }
            var metadata: JSONObject = ["name": .string(claimName), "labels": .object(labels)]
            if let annotations = claim["metadata"]?["annotations"] { metadata["annotations"] = annotations }
            let pvc: JSONValue = ["metadata": .object(metadata), "spec": claim["spec"] ?? [:]]
            await createObject("v1", "persistentvolumeclaims", namespace: key.namespace, pvc)
        }
        var metadata = spec?["template"]?["metadata"]?.objectValue ?? [:]
        var labels = metadata["labels"]?.objectValue ?? [:]
        labels["statefulset.kubernetes.io/pod-name"] = .string(podName)
        labels["apps.kubernetes.io/pod-index"] = .string("\(ordinal)")
        labels["controller-revision-hash"] = .string(revision)
        metadata["labels"] = .object(labels)
        metadata["name"] = .string(podName)
        metadata["namespace"] = nil
        metadata["generateName"] = nil
        metadata["ownerReferences"] = [
            Workloads.controllerReference(apiVersion: "apps/v1", kind: "StatefulSet", name: key.name, uid: uid)
        ]
        var podSpec = spec?["template"]?["spec"] ?? [:]
        podSpec["hostname"] = .string(podName)
        if let service = spec?["serviceName"]?.stringValue, !service.isEmpty { podSpec["subdomain"] = .string(service) }
        if !volumes.isEmpty { podSpec["volumes"] = .array(volumes) }
        await createObject("v1", "pods", namespace: key.namespace, ["metadata": .object(metadata), "spec": podSpec])
    }
}
