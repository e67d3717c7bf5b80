import Foundation
import Kubernetes

/// A pod as the workload controllers weigh it: its name, whether it is scheduled, Ready, finished or
/// being deleted, and when it was created.
struct WorkloadPod: Sendable, Equatable {
    var name: String
    var scheduled: Bool
    var ready: Bool
    /// `status.phase` (Pending when unset).
    var phase: String
    var deleting: Bool
    var creationTimestamp: String
    /// When the Ready condition last turned True (its `lastTransitionTime`), for `minReadySeconds`.
    var readySince: Date?

    /// Not being deleted and not finished (Succeeded/Failed): counts towards a controller's replicas.
    var active: Bool { !deleting && phase != "Succeeded" && phase != "Failed" }

    /// Available as `podutil.IsPodAvailable` decides: active, Ready, and Ready for at least
    /// `minReadySeconds` (strictly longer, and never without a transition time, when that is not zero).
    func available(minReadySeconds: Int, now: Date) -> Bool {
        guard active, ready else { return false }
        guard minReadySeconds > 0 else { return true }
        guard let readySince else { return false }
        return readySince.addingTimeInterval(TimeInterval(minReadySeconds)) < now
    }

    /// When the first of `pods` that is Ready but not yet available becomes available (nil: none waits).
    static func nextAvailability(_ pods: [WorkloadPod], minReadySeconds: Int, now: Date) -> Date? {
        guard minReadySeconds > 0 else { return nil }
        return
            pods
            .filter { $0.active && $0.ready && !$0.available(minReadySeconds: minReadySeconds, now: now) }
            .compactMap { $0.readySince?.addingTimeInterval(TimeInterval(minReadySeconds) + 1) }
            .min()
    }

    init(
        name: String,
        scheduled: Bool = true,
        ready: Bool = false,
        phase: String = "Pending",
        deleting: Bool = false,
        creationTimestamp: String = "",
        readySince: Date? = nil
    ) {
        self.readySince = readySince
        self.name = name
        self.scheduled = scheduled
        self.ready = ready
        self.phase = phase
        self.deleting = deleting
        self.creationTimestamp = creationTimestamp
    }

    /// Reads the fields from a pod object.
    init(_ pod: JSONValue, deleting: Bool) {
        let conditions = pod["status"]?["conditions"]?.arrayValue ?? []
        let readyCondition = conditions.first { $0["type"] == "Ready" && $0["status"] == "True" }
        self.init(
            name: pod["metadata"]?["name"]?.stringValue ?? "",
            scheduled: !(pod["spec"]?["nodeName"]?.stringValue ?? "").isEmpty,
            ready: readyCondition != nil,
            phase: pod["status"]?["phase"]?.stringValue ?? "Pending",
            deleting: deleting,
            creationTimestamp: pod["metadata"]?["creationTimestamp"]?.stringValue ?? "",
            readySince: readyCondition?["lastTransitionTime"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) }
        )
    }
}

/// Helpers the workload controllers share: owner references, the pod template hash, conditions.
enum Workloads {
    /// The controller owner reference Kubernetes controllers set on what they create.
    static func controllerReference(apiVersion: String, kind: String, name: String, uid: String) -> JSONValue {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
            "controller": true, "blockOwnerDeletion": true,
        ]
    }

    /// The `controller: true` owner reference of an object, if any.
    static func controllerOf(_ object: JSONValue) -> (kind: String, name: String, uid: String)? {
        for ref in object["metadata"]?["ownerReferences"]?.arrayValue ?? [] where ref["controller"] == true {
            guard let kind = ref["kind"]?.stringValue, let name = ref["name"]?.stringValue,
                let uid = ref["uid"]?.stringValue
            else { continue }
            return (kind, name, uid)
        }
        return nil
    }

    /// The `pod-template-hash` of a template, as the Deployment controller names its ReplicaSets: FNV-1a
    /// (32 bits) over the template's canonical JSON without its empty values (a typed client sends
    /// `creationTimestamp: null` and `resources: {}` where the stored template has nothing, as `rollout undo`
    /// does), its decimal digits mapped onto the safe alphabet (`rand.SafeEncodeString`).
    static func templateHash(_ template: JSONValue, collisionCount: Int64 = 0) -> String {
        var hash: UInt32 = 2_166_136_261
        var bytes = (withoutEmptyValues(canonical(template)) ?? [:]).encoded()
        if collisionCount > 0 { bytes += Array("\(collisionCount)".utf8) }
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let alphabet = NameValidation.suffixAlphabet
        return String(String(hash).utf8.map { alphabet[Int($0) % alphabet.count] })
    }

    /// The value without nulls and without empty objects and arrays, at any depth (nil when nothing is left
    /// of it): what a typed Kubernetes client cannot tell from a missing field.
    static func withoutEmptyValues(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .null:
            return nil
        case .object(let object):
            var kept = JSONObject()
            for (key, member) in object {
                if let member = withoutEmptyValues(member) { kept[key] = member }
            }
            return kept.isEmpty ? nil : .object(kept)
        case .array(let items):
            let kept = items.compactMap(withoutEmptyValues)
            return kept.isEmpty ? nil : .array(kept)
        default:
            return value
        }
    }

    /// The value with every object's keys sorted (so equal templates hash alike).
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var sorted = JSONObject()
            for key in object.keys.sorted() { sorted[key] = object[key].map(canonical) }
            return .object(sorted)
        case .array(let items):
            return .array(items.map(canonical))
        default:
            return value
        }
    }

    /// A condition list with `type` set to `status`/`reason`/`message`: an unchanged condition keeps its
    /// times, a changed reason keeps `lastTransitionTime`; `updateTime` adds `lastUpdateTime` (Deployments).
    static func setCondition(
        _ conditions: [JSONValue],
        type: String,
        status: String,
        reason: String,
        message: String,
        now: String,
        updateTime: Bool
    ) -> [JSONValue] {
        var result = conditions
        let index = result.firstIndex { $0["type"]?.stringValue == type }
        let existing = index.map { result[$0] }
        var condition: JSONObject = ["type": .string(type), "status": .string(status)]
        let sameStatus = existing?["status"]?.stringValue == status
        let sameReason = sameStatus && existing?["reason"]?.stringValue == reason
        if updateTime {
            condition["lastUpdateTime"] = sameReason ? existing?["lastUpdateTime"] ?? .string(now) : .string(now)
        }
        condition["lastTransitionTime"] = sameStatus ? existing?["lastTransitionTime"] ?? .string(now) : .string(now)
        condition["reason"] = .string(reason)
        condition["message"] = .string(message)
        if let index { result[index] = .object(condition) } else { result.append(.object(condition)) }
        return result
    }

    /// An int-or-percent value (`maxSurge`, `maxUnavailable`) against `total`, rounding up or down.
    static func scaledValue(_ value: JSONValue?, total: Int, default fallback: String, roundUp: Bool) -> Int {
        let value = value ?? .string(fallback)
        if let int = value.intValue { return max(Int(int), 0) }
        guard let text = value.stringValue, text.hasSuffix("%"), let percent = Int(text.dropLast()) else {
            return 0
        }
        let scaled = Double(total * percent) / 100
        return max(Int(roundUp ? scaled.rounded(.up) : scaled.rounded(.down)), 0)
    }
}

extension ClusterController {
    /// The pods of a namespace whose labels `selector` matches, with their decoded objects.
    func pods(in namespace: String, matching selector: LabelSelector) -> [(ObjectKey, StoredObject, JSONValue)] {
        guard let type = type("v1", "pods") else { return [] }
        return core.store.list(type.storageKey, namespace: namespace, after: nil, limit: nil, countRemaining: false) {
            key,
            stored in key.namespace == namespace && selector.matches(stored.labels)
        }
        .items.compactMap { key, stored in (try? stored.decode(type)).map { (key, stored, $0) } }
    }

    /// Takes orphans a controller's selector matches: adds the controller reference.
    func adopt(_ storageKey: String, _ key: ObjectKey, owner: JSONValue) async {
        await editObject(storageKey, key) { object in
            guard Workloads.controllerOf(object) == nil else { return }
            var refs = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
            refs.append(owner)
            object[path: ["metadata", "ownerReferences"]] = .array(refs)
        }
    }

    /// Creates an object as a controller does; logs a failure.
    @discardableResult
    func createObject(_ groupVersion: String, _ plural: String, namespace: String, _ object: JSONValue) async -> Bool {
        guard let type = type(groupVersion, plural) else { return false }
        do {
            _ = try await core.create(type, namespace: namespace, object: object, options: .system)
            return true
        } catch {
            log("controller create failed", error)
            return false
        }
    }

    /// Deletes an object as a controller does (background propagation); logs a failure.
    func deleteObject(_ groupVersion: String, _ plural: String, namespace: String, name: String) async {
        guard let type = type(groupVersion, plural) else { return }
        var options = DeleteOptions()
        options.propagation = .background
        do {
            _ = try await core.delete(type, namespace: namespace, name: name, options: options)
        } catch {
            log("controller delete failed", error)
        }
    }
}

extension ClusterController {
    /// Hands an event to the workload controllers it concerns (an unowned pod concerns none).
    func workloadEvent(_ event: WatchEvent) async {
        switch event.storageKey {
        case "pods" where !event.object.ownerUIDs.isEmpty:
            guard let pod = try? JSONValue(parsing: event.object.body), let owner = Workloads.controllerOf(pod)
            else { return }
            let key = ObjectKey(namespace: event.key.namespace, name: owner.name)
            switch owner.kind {
            case "ReplicaSet": await reconcileReplicaSet(key)
            case "Job": await reconcileJob(key)
            case "StatefulSet": await reconcileStatefulSet(key)
            case "DaemonSet": await reconcileDaemonSet(key)
            default: break
            }
        case "nodes":
            await daemonSetEvent(event)
        case Self.replicaSetsKey:
            if event.kind != .deleted { await reconcileReplicaSet(event.key) }
            await deploymentEvent(event)
        case Self.deploymentsKey:
            await deploymentEvent(event)
        case Self.jobsKey:
            if event.kind != .deleted { await reconcileJob(event.key) }
        case Self.statefulSetsKey:
            await statefulSetEvent(event)
        case Self.daemonSetsKey:
            await daemonSetEvent(event)
        default:
            break
        }
    }
}
