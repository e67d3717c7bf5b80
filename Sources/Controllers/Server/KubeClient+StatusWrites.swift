import Kubernetes

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
}
