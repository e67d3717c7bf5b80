import Kubernetes

/// The pod and container a `pods/log`, `pods/exec` or `pods/attach` request addresses, checked as
/// kube-apiserver checks it (`LogLocation`/`streamLocation` in pkg/registry/core/pod/strategy.go) before it
/// asks the kubelet.
struct PodStreamTarget: Sendable {
    var key: ObjectKey
    var uid: String
    /// The pod as stored (with `kind` and `apiVersion`).
    var pod: JSONValue
    /// The container: the one named in the query, or the pod's only container.
    var container: String
    /// `spec.nodeName` (empty when the pod is not scheduled).
    var node: String

    /// Looks the pod up and resolves the container.
    ///
    /// - Throws: 404 when the pod does not exist; 400 `a container name must be specified for pod P, choose
    ///   one of: [a b]` without a container in a pod with several; 400 `container c is not valid for pod P`.
    init(core: SandboxCore, namespace: String, name: String, container: String?) throws(APIStatus) {
        guard let type = core.registry.lookup(groupVersion: "v1", plural: "pods") else {
            throw APIStatus.unknownResource
        }
        let key = ObjectKey(namespace: namespace, name: name)
        guard let stored = core.store.get(type.storageKey, key), let pod = try? stored.decode(type) else {
            throw APIStatus.notFound(type, name: name)
        }
        self.key = key
        uid = stored.uid
        self.pod = pod
        node = pod["spec"]?["nodeName"]?.stringValue ?? ""
        let spec = pod["spec"]
        let containers = Self.names(spec?["containers"])
        // VisitContainers' order: init containers, containers, ephemeral containers.
        let all = Self.names(spec?["initContainers"]) + containers + Self.names(spec?["ephemeralContainers"])
        if let container, !container.isEmpty {
            guard all.contains(container) else {
                throw APIStatus.badRequest("container \(container) is not valid for pod \(name)")
            }
            self.container = container
        } else if containers.count == 1 {
            self.container = containers[0]
        } else if containers.isEmpty {
            throw APIStatus.badRequest("a container name must be specified for pod \(name)")
        } else {
            throw APIStatus.badRequest(
                "a container name must be specified for pod \(name), choose one of: [\(all.joined(separator: " "))]"
            )
        }
    }

    /// The pod's phase.
    var phase: String { pod["status"]?["phase"]?.stringValue ?? "Pending" }

    /// The status of the container (in `containerStatuses`, `initContainerStatuses` or
    /// `ephemeralContainerStatuses`), if the kubelet reported one.
    var containerStatus: JSONValue? {
        Self.status(of: container, in: pod)
    }

    /// The status of `container` in `pod`, if any.
    static func status(of container: String, in pod: JSONValue) -> JSONValue? {
        for list in ["containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"] {
            for status in pod["status"]?[list]?.arrayValue ?? [] where status["name"]?.stringValue == container {
                return status
            }
        }
        return nil
    }

    private static func names(_ list: JSONValue?) -> [String] {
        (list?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }
}
