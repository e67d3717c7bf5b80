import Kubernetes

/// The CustomResourceDefinitions a sandbox starts with: those of its configuration
/// (``SandboxConfiguration/customResources``; the CLI passes Velero's `velero.io` kinds and the CSI
/// `snapshot.storage.k8s.io/v1` kinds, the same list `lifeboat install --crds-only` applies).
///
/// A definition whose ``SandboxConfiguration/CustomResource/mainEndpointWritesStatus`` is set gets the annotation
/// ``statusOnMainAnnotation``, so that both `/status` and the main endpoint can write `status` (Velero and its
/// clones use either).
enum PreinstalledCRDs {
    static let statusOnMainAnnotation = "sandbox.lifeboat.io/status-on-main-endpoint"

    /// The CRD objects of `resources` (without server-set metadata).
    static func definitions(_ resources: [SandboxConfiguration.CustomResource]) -> [JSONValue] {
        resources.map { resource in
            guard resource.mainEndpointWritesStatus, case .object(var crd) = resource.definition else {
                return resource.definition
            }
            var metadata = crd["metadata"]?.objectValue ?? [:]
            var annotations = metadata["annotations"]?.objectValue ?? [:]
            annotations[statusOnMainAnnotation] = "true"
            metadata["annotations"] = .object(annotations)
            crd["metadata"] = .object(metadata)
            return .object(crd)
        }
    }
}
