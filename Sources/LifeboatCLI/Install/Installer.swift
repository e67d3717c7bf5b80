import Foundation
import Kubernetes

/// Creates install's objects one by one as Velero's installer does (`pkg/install/install.go`): an object that
/// exists is left as it is ("already exists, proceeding"), or with `apply` updated by server-side apply (field
/// manager `velero-cli`, forced); and waits until what it started is working.
struct Installer {
    let client: KubeClient
    let apply: Bool

    static let deployments = ServerPresence.deployments
    static let daemonSets = GroupVersionResource(group: "apps", version: "v1", resource: "daemonsets")

    static let clusterRoles = GroupVersionResource(
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterroles"
    )
    static let clusterRoleBindings = GroupVersionResource(
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterrolebindings"
    )

    /// The resource of each kind install creates.
    static let resources: [String: GroupVersionResource] = [
        "CustomResourceDefinition": .customResourceDefinitions,
        "Namespace": .namespaces,
        "ClusterRole": clusterRoles,
        "ClusterRoleBinding": clusterRoleBindings,
        "Role": GroupVersionResource(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles"),
        "RoleBinding": GroupVersionResource(
            group: "rbac.authorization.k8s.io",
            version: "v1",
            resource: "rolebindings"
        ),
        "ServiceAccount": GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts"),
        "Secret": .secrets,
        "BackupStorageLocation": GroupVersionResource(
            group: "velero.io",
            version: "v1",
            resource: "backupstoragelocations"
        ),
        "Deployment": deployments,
        "DaemonSet": daemonSets,
    ]

    /// Creates (or applies) `object`, printing Velero's lines `Kind/name: …`.
    func createOrApply(_ object: JSONValue) async throws {
        let kind = object["kind"]?.stringValue ?? ""
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let namespace = object["metadata"]?["namespace"]?.stringValue
        let id = "\(kind)/\(name)"
        guard let resource = Self.resources[kind], let typed = KubeObject(object) else {
            throw CLIError("\(id): install does not know the resource of kind \(kind)")
        }
        if apply {
            print("\(id): attempting to apply resource")
            do {
                _ = try await client.patch(
                    resource,
                    namespace: namespace,
                    name: name,
                    .apply(object, fieldManager: "velero-cli", force: true)
                )
            } catch {
                throw CLIError("Error applying resource \(id): \(error)")
            }
            print("\(id): applied")
            return
        }
        print("\(id): attempting to create resource")
        do {
            _ = try await client.create(resource, namespace: namespace, typed)
            print("\(id): created")
        } catch let error as KubeError where error.code == .alreadyExists {
            print("\(id): already exists, proceeding")
        } catch {
            throw CLIError("Error creating resource \(id): \(error)")
        }
    }

    /// Waits until the `velero` Deployment is Available and its `lifeboat server` leads (holds the Lease
    /// `lifeboat-server`, so it processes what the next command creates); fails after `timeout` naming the pods'
    /// states.
    func waitForDeployment(namespace: String, timeout: Duration = .seconds(180)) async throws {
        try await poll(
            "the velero deployment to be ready",
            namespace: namespace,
            selector: "deploy=velero",
            timeout: timeout
        ) {
            guard let deployment = try await client.getIfPresent(Self.deployments, namespace: namespace, name: "velero")
            else { return false }
            let available = (deployment["status"]?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Available" && $0["status"]?.stringValue == "True"
            }
            guard available else { return false }
            return await ServerPresence.detect(client: client, namespace: namespace) != .none
        }
    }

    /// Waits until every desired pod of DaemonSet `name` is available and each of their nodes' node agent holds
    /// its Lease (`lifeboat-node-agent-<node>`).
    func waitForDaemonSet(namespace: String, name: String, timeout: Duration = .seconds(180)) async throws {
        try await poll(
            "the \(name) daemonset to be ready",
            namespace: namespace,
            selector: "name=\(name)",
            timeout: timeout
        ) {
            guard let daemonSet = try await client.getIfPresent(Self.daemonSets, namespace: namespace, name: name)
            else { return false }
            let desired = daemonSet["status"]?["desiredNumberScheduled"]?.intValue ?? 0
            let available = daemonSet["status"]?["numberAvailable"]?.intValue ?? 0
            guard desired > 0, available == desired else { return false }
            let selector = try LabelSelector(parsing: "name=\(name)")
            let nodes = try await client.list(.pods, namespace: namespace, options: .init(labelSelector: selector))
                .items.compactMap { $0["spec"]?["nodeName"]?.stringValue }
            let leases = Set(try await client.list(.leases, namespace: namespace).items.compactMap(\.name))
            return nodes.allSatisfy { leases.contains("lifeboat-node-agent-\($0)") }
        }
    }

    private func poll(
        _ what: String,
        namespace: String,
        selector: String,
        timeout: Duration,
        _ ready: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await ready() { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw CLIError(
            "timed out after \(GoDuration.format(timeout)) waiting for \(what): \(await podStates(namespace: namespace, selector: selector))"
        )
    }

    /// The pods of `selector` and why each is not running, for a timeout's message.
    private func podStates(namespace: String, selector: String) async -> String {
        guard let parsed = try? LabelSelector(parsing: selector),
            let pods = try? await client.list(.pods, namespace: namespace, options: .init(labelSelector: parsed)).items
        else { return "its pods could not be listed" }
        if pods.isEmpty { return "no pod was created" }
        return pods.map { pod in
            let waiting = (pod["status"]?["containerStatuses"]?.arrayValue ?? []).compactMap {
                $0["state"]?["waiting"]?["reason"]?.stringValue
            }
            let phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
            return "pod \(pod.name ?? "") \(phase)\(waiting.isEmpty ? "" : " (\(waiting.joined(separator: ", ")))")"
        }.joined(separator: "; ")
    }
}
