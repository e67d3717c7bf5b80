/// The `velero.io` API group and its versions.
public enum VeleroAPIGroup {
    /// `velero.io`.
    public static let name = "velero.io"
    /// `velero.io/v1`: everything but data movement.
    public static let v1 = "velero.io/v1"
    /// `velero.io/v2alpha1`: DataUpload and DataDownload.
    public static let v2alpha1 = "velero.io/v2alpha1"
}
