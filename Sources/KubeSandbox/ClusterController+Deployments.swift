import Foundation
import Kubernetes

/// One of a Deployment's ReplicaSets as the Deployment controller weighs it.
struct DeploymentReplicaSet: Sendable, Equatable {
    var name: String
    /// `spec.replicas`.
    var replicas: Int
    /// `status.replicas`, `status.readyReplicas`, `status.availableReplicas`.
    var current: Int = 0
    var ready: Int = 0
    var available: Int = 0
    /// `deployment.kubernetes.io/revision`.
    var revision: Int = 0
}

/// The Deployment controller's decisions: the ReplicaSets' target sizes and the status to write.
enum DeploymentPlan {
    /// The rollout strategy with its budget resolved against `spec.replicas`.
    enum Strategy: Sendable, Equatable {
        case recreate
        case rollingUpdate(maxSurge: Int, maxUnavailable: Int)

        /// Reads `spec.strategy` (RollingUpdate, 25%/25% by default; both zero means one unavailable).
        init(_ strategy: JSONValue?, replicas: Int) {
            if strategy?["type"]?.stringValue == "Recreate" {
                self = .recreate
                return
            }
            let rolling = strategy?["rollingUpdate"]
            let surge = Workloads.scaledValue(rolling?["maxSurge"], total: replicas, default: "25%", roundUp: true)
            var unavailable = Workloads.scaledValue(
                rolling?["maxUnavailable"],
                total: replicas,
                default: "25%",
                roundUp: false
            )
            if surge == 0 && unavailable == 0 { unavailable = 1 }
            self = .rollingUpdate(maxSurge: surge, maxUnavailable: min(unavailable, replicas))
        }

        var maxUnavailable: Int {
            switch self {
            case .recreate: 0
            case .rollingUpdate(_, let unavailable): unavailable
            }
        }
    }

    /// One step of the rollout towards `replicas` pods of `newSet`'s template: the new `spec.replicas` of
    /// the sets whose size changes, by name. A scale-up of the new set is
    /// a step of its own (the old sets shrink at the next step, once the new pods are available), as the
    /// Deployment controller's `rolloutRolling` does.
    static func targets(
        replicas: Int,
        strategy: Strategy,
        newSet: DeploymentReplicaSet,
        oldSets: [DeploymentReplicaSet]
    ) -> [String: Int] {
        var scale: [String: Int] = [:]
        let active = oldSets.filter { $0.replicas > 0 || $0.current > 0 }
        if active.isEmpty {
            if newSet.replicas != replicas { scale[newSet.name] = replicas }
            return scale
        }
        switch strategy {
        case .recreate:
            for set in active where set.replicas > 0 { scale[set.name] = 0 }
            if active.allSatisfy({ $0.current == 0 }), newSet.replicas != replicas { scale[newSet.name] = replicas }
            return scale
        case .rollingUpdate(let maxSurge, let maxUnavailable):
            let oldTotal = oldSets.reduce(0) { $0 + $1.replicas }
            var newTarget = newSet.replicas
            if newTarget > replicas {
                newTarget = replicas
            } else if newTarget < replicas {
                let room = replicas + maxSurge - (newTarget + oldTotal)
                if room > 0 { newTarget = min(replicas, newTarget + room) }
            }
            if newTarget != newSet.replicas { return [newSet.name: newTarget] }
            let minAvailable = replicas - maxUnavailable
            let newUnavailable = max(newSet.replicas - newSet.available, 0)
            var budget = newSet.replicas + oldTotal - minAvailable - newUnavailable
            guard budget > 0 else { return [:] }
            let oldestFirst = oldSets.sorted { $0.revision < $1.revision }
            var sizes = Dictionary(uniqueKeysWithValues: oldSets.map { ($0.name, $0.replicas) })
            // Unhealthy old pods go first: removing them costs no availability.
            for set in oldestFirst where budget > 0 {
                let unhealthy = min(max(set.replicas - set.available, 0), budget)
                sizes[set.name, default: 0] -= unhealthy
                budget -= unhealthy
            }
            let available = oldSets.reduce(newSet.available) { $0 + $1.available }
            var healthyBudget = min(budget, available - minAvailable)
            for set in oldestFirst where healthyBudget > 0 {
                let cut = min(sizes[set.name] ?? 0, healthyBudget)
                sizes[set.name, default: 0] -= cut
                healthyBudget -= cut
            }
            for set in oldSets where sizes[set.name] != set.replicas { scale[set.name] = max(sizes[set.name] ?? 0, 0) }
            return scale
        }
    }

    /// The old sets the Deployment controller's `cleanupDeployment` deletes: those scaled to and at zero
    /// pods beyond the `revisionHistoryLimit` newest, oldest revision first.
    static func expiredSets(_ oldSets: [DeploymentReplicaSet], historyLimit: Int) -> [String] {
        let idle = oldSets.filter { $0.replicas == 0 && $0.current == 0 }.sorted { $0.revision < $1.revision }
        return idle.prefix(max(idle.count - max(historyLimit, 0), 0)).map(\.name)
    }

    /// The status Kubernetes writes: counts over all sets, `updatedReplicas` from the new one, the
    /// `Available` and `Progressing` conditions (the latter as `progressing(...)` decides; `previous` is the
    /// status before, `progressDeadlineSeconds` nil for no deadline).
    static func status(
        replicas: Int,
        strategy: Strategy,
        newSet: DeploymentReplicaSet?,
        oldSets: [DeploymentReplicaSet],
        generation: Int64,
        conditions: [JSONValue],
        now: String,
        paused: Bool = false,
        previous: JSONValue? = nil,
        progressDeadlineSeconds: Int? = nil
    ) -> JSONValue {
        let all = oldSets + (newSet.map { [$0] } ?? [])
        let current = all.reduce(0) { $0 + $1.current }
        let ready = all.reduce(0) { $0 + $1.ready }
        let available = all.reduce(0) { $0 + $1.available }
        let updated = newSet?.current ?? 0
        let unavailable = max(all.reduce(0) { $0 + $1.replicas } - available, 0)
        var status: JSONObject = ["observedGeneration": .int(generation)]
        for (field, value) in [
            ("replicas", current), ("updatedReplicas", updated), ("readyReplicas", ready),
            ("availableReplicas", available), ("unavailableReplicas", unavailable),
        ] where value > 0 {
            status[field] = .int(Int64(value))
        }
        let minimum = available >= replicas - strategy.maxUnavailable
        var result = Workloads.setCondition(
            conditions,
            type: "Available",
            status: minimum ? "True" : "False",
            reason: minimum ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            message: minimum
                ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
            now: now,
            updateTime: true
        )
        if paused {
            result = Workloads.setCondition(
                result,
                type: "Progressing",
                status: "Unknown",
                reason: "DeploymentPaused",
                message: "Deployment is paused",
                now: now,
                updateTime: true
            )
        } else if let newSet {
            result = progressing(
                result,
                newSet: newSet,
                replicas: replicas,
                counts: Counts(replicas: current, updated: updated, ready: ready, available: available),
                previous: previous,
                progressDeadlineSeconds: progressDeadlineSeconds,
                now: now
            )
        }
        status["conditions"] = .array(result)
        return .object(status)
    }
}

extension ClusterController {
    static let deploymentsKey = "deployments.apps"
    static let revisionAnnotation = "deployment.kubernetes.io/revision"

    /// Deployment and ReplicaSet events that concern a Deployment: the set's controller, or the Deployment.
    func deploymentEvent(_ event: WatchEvent) async {
        switch event.storageKey {
        case Self.replicaSetsKey:
            guard let object = try? JSONValue(parsing: event.object.body),
                let owner = Workloads.controllerOf(object), owner.kind == "Deployment"
            else { return }
            await reconcileDeployment(ObjectKey(namespace: event.key.namespace, name: owner.name))
        case Self.deploymentsKey where event.kind != .deleted:
            await reconcileDeployment(event.key)
        default:
            break
        }
    }

    /// Adopts matching orphan ReplicaSets, creates the template's ReplicaSet (`<name>-<hash>`), takes one
    /// rollout step, then writes the revision annotation and the status.
    func reconcileDeployment(_ key: ObjectKey) async {
        guard case let (_, stored, deployment)? = decode(Self.deploymentsKey, key), !stored.deleting,
            let selector = try? LabelSelector(json: deployment["spec"]?["selector"]),
            let setType = type("apps/v1", "replicasets")
        else { return }
        let reference = Workloads.controllerReference(
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: key.name,
            uid: stored.uid
        )
        let template = deployment["spec"]?["template"] ?? [:]
        let hash = Workloads.templateHash(
            template,
            collisionCount: deployment["status"]?["collisionCount"]?.intValue ?? 0
        )
        var sets: [(summary: DeploymentReplicaSet, hash: String)] = []
        let candidates = core.store.list(
            setType.storageKey,
            namespace: key.namespace,
            after: nil,
            limit: nil,
            countRemaining: false
        ) { setKey, setStored in
            setKey.namespace == key.namespace && selector.matches(setStored.labels)
        }.items
        for (setKey, setStored) in candidates {
            guard let set = try? setStored.decode(setType) else { continue }
            if let owner = Workloads.controllerOf(set) {
                if owner.uid != stored.uid { continue }
            } else if setStored.deleting {
                continue
            } else {
                await adopt(setType.storageKey, setKey, owner: reference)
            }
            let summary = DeploymentReplicaSet(
                name: setKey.name,
                replicas: Int(set["spec"]?["replicas"]?.intValue ?? 1),
                current: Int(set["status"]?["replicas"]?.intValue ?? 0),
                ready: Int(set["status"]?["readyReplicas"]?.intValue ?? 0),
                available: Int(set["status"]?["availableReplicas"]?.intValue ?? 0),
                revision: Int(set["metadata"]?["annotations"]?[Self.revisionAnnotation]?.stringValue ?? "") ?? 0
            )
            sets.append((summary, setStored.labels["pod-template-hash"] ?? ""))
        }
        let replicas = Int(deployment["spec"]?["replicas"]?.intValue ?? 1)
        let strategy = DeploymentPlan.Strategy(deployment["spec"]?["strategy"], replicas: replicas)
        let newSet = sets.first { $0.hash == hash }?.summary
        let oldSets = sets.filter { $0.hash != hash }.map(\.summary)
        let paused = deployment["spec"]?["paused"] == true
        if newSet == nil && !paused {
            let revision = (oldSets.map(\.revision).max() ?? 0) + 1
            await createReplicaSet(
                key,
                deployment,
                template: template,
                hash: hash,
                revision: revision,
                owner: reference
            )
            return  // the new set's event brings the next step
        }
        if var newSet, !paused {
            let latest = oldSets.map(\.revision).max() ?? 0
            if newSet.revision <= latest {
                // An older template came back (`rollout undo`): its set becomes the newest revision.
                newSet.revision = latest + 1
                await setRevision(ObjectKey(namespace: key.namespace, name: newSet.name), newSet.revision)
            }
            let scale = DeploymentPlan.targets(replicas: replicas, strategy: strategy, newSet: newSet, oldSets: oldSets)
            let minReady = deployment["spec"]?["minReadySeconds"] ?? 0
            for (name, size) in scale.sorted(by: { $0.key < $1.key }) {
                await editObject(setType.storageKey, ObjectKey(namespace: key.namespace, name: name)) { object in
                    object[path: ["spec", "replicas"]] = .int(Int64(size))
                    object[path: ["spec", "minReadySeconds"]] = minReady
                    object[path: ["metadata", "annotations", "deployment.kubernetes.io/desired-replicas"]] =
                        .string("\(replicas)")
                }
            }
            let revision = newSet.revision
            await editObject(Self.deploymentsKey, key) { object in
                object[path: ["metadata", "annotations", Self.revisionAnnotation]] = .string("\(revision)")
            }
            let limit = Int(deployment["spec"]?["revisionHistoryLimit"]?.intValue ?? 10)
            for name in DeploymentPlan.expiredSets(oldSets, historyLimit: limit) {
                await deleteObject("apps/v1", "replicasets", namespace: key.namespace, name: name)
            }
        }
        let generation = deployment["metadata"]?["generation"]?.intValue ?? 1
        let deadline = deployment["spec"]?["progressDeadlineSeconds"]?.intValue.map { Int($0) }
        var conditions: [JSONValue] = []
        await editObject(Self.deploymentsKey, key, subresource: "status") { object in
            var status = DeploymentPlan.status(
                replicas: replicas,
                strategy: strategy,
                newSet: newSet,
                oldSets: oldSets,
                generation: generation,
                conditions: object["status"]?["conditions"]?.arrayValue ?? [],
                now: SandboxCore.timestamp(),
                paused: paused,
                previous: object["status"],
                progressDeadlineSeconds: deadline
            )
            conditions = status["conditions"]?.arrayValue ?? []
            if let collisions = object["status"]?["collisionCount"] { status["collisionCount"] = collisions }
            // Rewriting only the times of an otherwise equal status would loop: keep the old one then.
            if let old = object["status"], Self.sameIgnoringTimes(old, status) {
                conditions = old["conditions"]?.arrayValue ?? []
                return
            }
            object["status"] = status
        }
        // Look again when the rollout would time out (it times out only if nothing progresses until then).
        let timeout = DeploymentPlan.timeout(conditions, progressDeadlineSeconds: deadline)
        recheck(Self.deploymentsKey, key, at: timeout?.addingTimeInterval(1))
    }

    /// Gives a Deployment's ReplicaSet a new `deployment.kubernetes.io/revision`, keeping the ones it had in
    /// `deployment.kubernetes.io/revision-history` as the Deployment controller does.
    private func setRevision(_ key: ObjectKey, _ revision: Int) async {
        await editObject(Self.replicaSetsKey, key) { object in
            let annotations = ["metadata", "annotations"]
            if let old = object["metadata"]?["annotations"]?[Self.revisionAnnotation]?.stringValue {
                let history = object["metadata"]?["annotations"]?["deployment.kubernetes.io/revision-history"]
                let earlier = history?.stringValue.map { "\($0)," } ?? ""
                object[path: annotations + ["deployment.kubernetes.io/revision-history"]] = .string(earlier + old)
            }
            object[path: annotations + [Self.revisionAnnotation]] = .string("\(revision)")
        }
    }

    private func createReplicaSet(
        _ key: ObjectKey,
        _ deployment: JSONValue,
        template: JSONValue,
        hash: String,
        revision: Int,
        owner: JSONValue
    ) async {
        var podTemplate = template
        podTemplate[path: ["metadata", "labels", "pod-template-hash"]] = .string(hash)
        var selector = deployment["spec"]?["selector"] ?? [:]
        selector[path: ["matchLabels", "pod-template-hash"]] = .string(hash)
        let replicas = deployment["spec"]?["replicas"]?.intValue ?? 1
        var labels = template["metadata"]?["labels"]?.objectValue ?? [:]
        labels["pod-template-hash"] = .string(hash)
        let set: JSONValue = [
            "metadata": [
                "name": .string("\(key.name)-\(hash)"),
                "labels": .object(labels),
                "annotations": [
                    Self.revisionAnnotation: .string("\(revision)"),
                    "deployment.kubernetes.io/desired-replicas": .string("\(replicas)"),
                ],
                "ownerReferences": [owner],
            ],
            "spec": [
                "replicas": 0, "minReadySeconds": deployment["spec"]?["minReadySeconds"] ?? 0,
                "selector": selector, "template": podTemplate,
            ],
        ]
        await createObject("apps/v1", "replicasets", namespace: key.namespace, set)
    }

    /// Whether two statuses differ only in the conditions' times.
    static func sameIgnoringTimes(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func stripped(_ value: JSONValue) -> JSONValue {
            var copy = value
            copy["conditions"] = .array(
                (value["conditions"]?.arrayValue ?? []).map { condition in
                    var condition = condition
                    condition["lastUpdateTime"] = nil
                    condition["lastTransitionTime"] = nil
                    return condition
                }
            )
            return copy
        }
        return SandboxCore.sameContent(stripped(a), stripped(b))
    }
}
