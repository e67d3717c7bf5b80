/// Bytes done of a load (`shared.DataMoveOperationProgress`): the `progress` of PodVolumeBackup, PodVolumeRestore,
/// DataUpload and DataDownload.
public struct DataMoveProgress: Codable, Sendable, Hashable {
    public var totalBytes: Int64?
    public var bytesDone: Int64?

    public init(totalBytes: Int64? = nil, bytesDone: Int64? = nil) {
        self.totalBytes = totalBytes
        self.bytesDone = bytesDone
    }
}

/// The phases of PodVolumeBackup, PodVolumeRestore, DataUpload and DataDownload.
public enum DataMovePhase {
    public static let new = "New"
    public static let accepted = "Accepted"
    public static let prepared = "Prepared"
    public static let inProgress = "InProgress"
    public static let canceling = "Canceling"
    public static let canceled = "Canceled"
    public static let completed = "Completed"
    public static let failed = "Failed"
}
