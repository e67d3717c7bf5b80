public import Kubernetes

/// The velero.io CustomResourceDefinitions `lifeboat install --crds-only` applies: every `velero.io/v1`
/// and `velero.io/v2alpha1` kind (``CustomResourceKind/velero``), with Velero's names, short names, scope,
/// status subresource and the `component: velero` label.
public enum VeleroCRDs {
    /// The CRD objects, ready to create.
    public static var all: [KubeObject] {
        CustomResourceKind.velero.compactMap { KubeObject($0.definition(labels: ["component": "velero"])) }
    }
}
