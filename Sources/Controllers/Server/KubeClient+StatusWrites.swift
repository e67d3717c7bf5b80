import Kubernetes
import VeleroAPI

extension KubeClient {
    /// Reads the object, lets `change` edit it, and writes its status back (through the status subresource when the
    /// CRD has one, else with a plain update), retrying on write conflicts.
    ///
    /// - Parameter change: edits the object as read; returns false when there is nothing to write.
    /// - Returns: the object written, nil when `change` wrote nothing or the object is gone.
    @discardableResult
    func changeStatus(
        _ resource: GroupVersionResource,
        namespace: String,
        name: String,
        _ change: (inout KubeObject) -> Bool
    ) async throws -> KubeObject? {
        for attempt in 1...5 {
            var object: KubeObject
            do {
                object = try await get(resource, namespace: namespace, name: name)
            } catch let error as KubeError where error.code == .notFound {
                return nil
            }
            guard change(&object) else { return nil }
            do {
                return try await writeStatus(resource, namespace: namespace, object)
            } catch let error as KubeError where error.code == .conflict && attempt < 5 {
                continue
            }
        }
        return nil
    }

    /// Ends an object that has not started — `New`, without a phase, or for a Backup `Queued` or `ReadyToStart` — with
    /// the status `fields` and a completion time: a validation failure, or a run that failed before it started; one
    /// that started meanwhile, or is gone, is left alone.
    func endIfNew(_ resource: GroupVersionResource, namespace: String, name: String, _ fields: JSONObject) async throws
    {
        try await changeStatus(resource, namespace: namespace, name: name) { object in
            let phase = object["status"]?["phase"]?.stringValue ?? ""
            guard phase.isEmpty || ["New", "Queued", "ReadyToStart"].contains(phase) else { return false }
            var status = object.value["status"]?.objectValue ?? [:]
            status.merge(fields) { _, new in new }
            status["completionTimestamp"] = .string(Timestamps.now())
            object.value["status"] = .object(status)
            return true
        }
    }
}
