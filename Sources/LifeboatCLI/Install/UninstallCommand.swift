import ArgumentParser
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat uninstall`: Velero's `velero uninstall` — the Restores, DataUploads and DataDownloads first (their
/// finalizers get a minute to run, then are removed), the install namespace (and with it the server, the node
/// agents and every velero.io object in it), the ClusterRoleBinding (and the least-privilege ClusterRole), and
/// the CRDs labelled `component=velero`. The backups in the object store are left alone.
struct UninstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Uninstall Lifeboat (Velero) along with the CRDs and the ClusterRoleBinding.",
        discussion: """
            -n names the install namespace (default velero). The backups in the object store stay; a later \
            install pointed at the same bucket syncs them back.
            """
    )

    @OptionGroup var globals: GlobalOptions
    @Flag(name: .long, help: "Deprecated: uninstall always waits until everything is deleted.") var wait = false
    @Flag(name: .long, help: "Uninstall without asking for confirmation.") var force = false

    func run() async throws {
        if wait {
            print(
                "Warning: the \"--wait\" option is deprecated and will be removed in a future release. "
                    + "The uninstall command always waits for the uninstall to complete."
            )
        }
        if !force {
            print("You are about to uninstall Lifeboat (Velero).")
            guard Confirmation.ask() else { return }
        }
        let namespace = globals.installNamespace
        try await globals.withClient { client in
            try await Self.deleteNamespace(client, namespace)
            var errors: [String] = []
            let binding = InstallManifests.clusterBindingName(namespace: namespace)
            for (resource, kind) in [
                (Installer.clusterRoleBindings, "ClusterRoleBinding"), (Installer.clusterRoles, "ClusterRole"),
            ] {
                do {
                    guard let object = try await client.getIfPresent(resource, name: binding) else {
                        if kind == "ClusterRoleBinding" {
                            print("Lifeboat ClusterRoleBinding \"\(binding)\" does not exist, skipping.")
                        }
                        continue
                    }
                    // Only what install made: a ClusterRole of that name made by someone else stays.
                    guard object.labels["component"] == "velero" || kind == "ClusterRoleBinding" else { continue }
                    try await client.delete(resource, name: binding)
                } catch {
                    errors.append("\(kind) \(binding): \(error)")
                }
            }
            do {
                let selector = try LabelSelector(parsing: "component=velero")
                let crds = try await client.list(.customResourceDefinitions, options: .init(labelSelector: selector))
                for crd in crds.items {
                    guard let name = crd.name else { continue }
                    do {
                        try await client.delete(.customResourceDefinitions, name: name)
                    } catch let error as KubeError where error.code == .notFound {
                        continue
                    }
                }
            } catch {
                errors.append("CRDs: \(error)")
            }
            guard errors.isEmpty else {
                throw CLIError("Errors while attempting to uninstall Lifeboat: \(errors.joined(separator: "; "))")
            }
        }
        print("Lifeboat uninstalled ⛵")
    }

    /// Deletes the namespace after its Restores, DataUploads and DataDownloads, and waits until it is gone.
    static func deleteNamespace(_ client: KubeClient, _ namespace: String) async throws {
        guard try await client.getIfPresent(.namespaces, name: namespace) != nil else {
            print("Lifeboat namespace \"\(namespace)\" does not exist, skipping.")
            return
        }
        print("Waiting for resource with attached finalizer to be deleted")
        try await deleteWithFinalizers(client, namespace)
        do {
            try await client.delete(.namespaces, name: namespace)
        } catch let error as KubeError where error.code == .notFound {
            print("Lifeboat namespace \"\(namespace)\" does not exist, skipping.")
            return
        }
        print("\nWaiting for Lifeboat namespace \"\(namespace)\" to be deleted")
        let deadline = ContinuousClock.now + .seconds(600)
        while try await client.getIfPresent(.namespaces, name: namespace) != nil {
            guard ContinuousClock.now < deadline else {
                throw CLIError(
                    "namespace \(namespace) is still there after 10m (kubectl get namespace \(namespace) -o yaml tells why)"
                )
            }
            print(".", terminator: "")
            fflush(nil)
            try await Task.sleep(for: .milliseconds(500))
        }
        print("\nLifeboat namespace \"\(namespace)\" deleted")
    }

    /// Velero's `deleteResourcesWithFinalizer`: deletes the Restores, DataUploads and DataDownloads of the
    /// namespace, gives their controllers a minute to remove their finalizers, then removes what is left.
    static func deleteWithFinalizers(_ client: KubeClient, _ namespace: String) async throws {
        let kinds = [Restore.resource, DataUpload.resource, DataDownload.resource]
        func remaining() async throws -> [(GroupVersionResource, KubeObject)] {
            var result: [(GroupVersionResource, KubeObject)] = []
            for resource in kinds {
                do {
                    result += try await client.list(resource, namespace: namespace).items.map { (resource, $0) }
                } catch let error as KubeError where error.code == .notFound {
                    continue  // the CRD is not installed
                }
            }
            return result
        }
        for (resource, object) in try await remaining() {
            guard let name = object.name else { continue }
            do {
                try await client.delete(resource, namespace: namespace, name: name)
            } catch let error as KubeError where error.code == .notFound {
                continue
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while !(try await remaining().isEmpty) {
            guard ContinuousClock.now < deadline else { break }
            print(".", terminator: "")
            fflush(nil)
            try await Task.sleep(for: .seconds(1))
        }
        for (resource, object) in try await remaining() {
            guard let name = object.name else { continue }
            _ = try? await client.patch(
                resource,
                namespace: namespace,
                name: name,
                .merge(["metadata": ["finalizers": nil]])
            )
        }
    }
}
