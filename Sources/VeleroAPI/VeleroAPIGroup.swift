/// The `velero.io` API group and its versions.
package enum VeleroAPIGroup {
    /// `velero.io`.
    package static let name = "velero.io"
    /// `velero.io/v1`: everything but data movement.
    package static let v1 = "velero.io/v1"
    /// `velero.io/v2alpha1`: DataUpload and DataDownload.
    package static let v2alpha1 = "velero.io/v2alpha1"
}
