import Kubernetes

/// Go shapes of the apimachinery types the velero.io objects embed (`k8s.io/apimachinery/pkg/apis/meta/v1`,
/// `k8s.io/api/core/v1`), for ``GoJSONShape/ordered(_:)``.
extension GoJSONShape {
    /// `metav1.ObjectMeta`: fields in Go order; a zero `creationTimestamp` is written as `null`.
    package static let objectMeta = GoJSONShape.object([
        GoJSONField("name"),
        GoJSONField("generateName"),
        GoJSONField("namespace"),
        GoJSONField("selfLink"),
        GoJSONField("uid"),
        GoJSONField("resourceVersion"),
        GoJSONField("generation"),
        .always("creationTimestamp", absent: .null),
        .pointer("deletionTimestamp"),
        .pointer("deletionGracePeriodSeconds"),
        GoJSONField("labels", .map(.value)),
        GoJSONField("annotations", .map(.value)),
        GoJSONField("ownerReferences", .list(ownerReference)),
        GoJSONField("finalizers"),
        GoJSONField("managedFields", .list(managedFieldsEntry)),
    ])

    /// `metav1.OwnerReference`.
    package static let ownerReference = GoJSONShape.object([
        .always("apiVersion"),
        .always("kind"),
        .always("name"),
        .always("uid"),
        .pointer("controller"),
        .pointer("blockOwnerDeletion"),
    ])

    /// `metav1.ManagedFieldsEntry` (`fieldsV1` is kept as it is, with sorted keys like the API server's).
    package static let managedFieldsEntry = GoJSONShape.object([
        GoJSONField("manager"),
        GoJSONField("operation"),
        GoJSONField("apiVersion"),
        .pointer("time"),
        GoJSONField("fieldsType"),
        .pointer("fieldsV1"),
        GoJSONField("subresource"),
    ])

    /// `metav1.LabelSelector`.
    package static let labelSelector = GoJSONShape.object([
        GoJSONField("matchLabels", .map(.value)),
        GoJSONField(
            "matchExpressions",
            .list(.object([.always("key"), .always("operator"), GoJSONField("values")]))
        ),
    ])

    /// `corev1.TypedLocalObjectReference`: `apiGroup` is a pointer without `omitempty`, written as `null` when unset.
    package static let typedLocalObjectReference = GoJSONShape.object([
        .always("apiGroup", absent: .null),
        .always("kind"),
        .always("name"),
    ])
}

extension GoJSONField {
    /// A `metav1.Duration` (a non-pointer struct, so Go always writes it): `"0s"` when unset.
    package static func duration(_ name: String) -> GoJSONField {
        .always(name, absent: "0s")
    }
}
