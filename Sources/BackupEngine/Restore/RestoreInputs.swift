import Foundation
import Kubernetes
import VeleroAPI

/// ConfigMaps and cluster facts a restore reads before it starts: the resource-modifiers
/// ConfigMap, the change-storage-class and change-image-name plugin ConfigMaps, and the
/// storage classes that exist. Any problem fails the restore before anything is created.
struct RestoreInputs: Sendable {
    var modifiers: ResourceModifiers?
    var storageClassMapping: [String: String]?
    var imageNameMapping: [String: String]?
    var existingStorageClasses: Set<String>

    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")

    static func load(
        client: KubeClient,
        namespace: String,
        spec: RestoreSpec,
        discovery: APIDiscovery
    ) async throws -> RestoreInputs {
        var inputs = RestoreInputs(existingStorageClasses: [])
        if let reference = spec.resourceModifier {
            guard reference.kind.lowercased() == "configmap" else {
                throw BackupEngineError(
                    code: .invalidSpec,
                    message: "resourceModifier kind \(reference.kind.debugDescription) is not supported: use ConfigMap"
                )
            }
            let configMap: KubeObject
            do {
                configMap = try await client.get(configMaps, namespace: namespace, name: reference.name)
            } catch let error as KubeError where error.code == .notFound {
                throw BackupEngineError(
                    code: .invalidSpec,
                    message: "resource modifiers ConfigMap \(namespace)/\(reference.name) not found"
                )
            }
            do {
                inputs.modifiers = try ResourceModifiers(
                    configMapNamespace: namespace,
                    configMapName: reference.name,
                    data: stringData(configMap)
                )
            } catch {
                throw BackupEngineError(code: .invalidSpec, message: "\(error)")
            }
        }
        inputs.storageClassMapping = try await pluginConfig(
            client: client,
            namespace: namespace,
            plugin: "velero.io/change-storage-class"
        )
        inputs.imageNameMapping = try await pluginConfig(
            client: client,
            namespace: namespace,
            plugin: "velero.io/change-image-name"
        )
        if let storageClasses = discovery.preferredResources.first(where: {
            $0.groupResource == "storageclasses.storage.k8s.io"
        }) {
            for try await sc in client.listObjects(storageClasses.gvr) {
                if let name = sc.name { inputs.existingStorageClasses.insert(name) }
            }
        }
        return inputs
    }

    /// The data of the plugin-config ConfigMap labelled `velero.io/plugin-config` and `<plugin>=RestoreItemAction`.
    /// - Throws: when more than one ConfigMap matches (Velero refuses that too).
    static func pluginConfig(client: KubeClient, namespace: String, plugin: String) async throws -> [String: String]? {
        let selector = try LabelSelector(parsing: "\(VeleroLabels.pluginConfig),\(plugin)=RestoreItemAction")
        let list = try await client.list(
            configMaps,
            namespace: namespace,
            options: ListOptions(labelSelector: selector)
        )
        guard !list.items.isEmpty else { return nil }
        guard list.items.count == 1 else {
            throw BackupEngineError(
                code: .invalidSpec,
                message:
                    "more than one ConfigMap in namespace \(namespace) configures plugin \(plugin): \(list.items.compactMap(\.name).sorted().joined(separator: ", "))"
            )
        }
        return stringData(list.items[0])
    }

    static func stringData(_ configMap: KubeObject) -> [String: String] {
        var data: [String: String] = [:]
        for (key, value) in configMap["data"]?.objectValue ?? [:] { data[key] = value.stringValue ?? "" }
        return data
    }
}
