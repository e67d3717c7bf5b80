import Kubernetes
import VeleroAPI

extension KubeClient {
    /// The BackupStorageLocation `name` of `namespace` as the GC and deletion controllers see it.
    func storageLocation(_ name: String, namespace: String) async -> GarbageCollectionDecision.Location {
        guard !name.isEmpty else { return .notFound }
        do {
            let object = try await get(BackupStorageLocation.resource, namespace: namespace, name: name)
            return .found(try object.value.decode(as: BackupStorageLocation.self))
        } catch let error as KubeError where error.code == .notFound {
            return .notFound
        } catch {
            return .unreadable("\(error)")
        }
    }
}
