import Kubernetes

/// CustomResourceDefinitions every sandbox starts with: Velero's `velero.io` v1 and v2alpha1 kinds and
/// the CSI `snapshot.storage.k8s.io/v1` kinds (``CustomResourceKind``'s lists, the same ones
/// `lifeboat install --crds-only` applies).
///
/// Their schemas preserve unknown fields (no structural validation). Velero's CRDs get the annotation
/// ``statusOnMainAnnotation`` so that both `/status` and the main endpoint can write `status` (Velero
/// and its clones use either).
enum PreinstalledCRDs {
    static let statusOnMainAnnotation = "sandbox.lifeboat.io/status-on-main-endpoint"

    /// The CRD objects (without server-set metadata).
    static var all: [JSONValue] {
        CustomResourceKind.velero.map {
            $0.definition(labels: ["component": "velero"], annotations: [statusOnMainAnnotation: "true"])
        } + CustomResourceKind.volumeSnapshots.map { $0.definition() }
    }
}
