/// Bytes done of a load (`shared.DataMoveOperationProgress`): the `progress` of PodVolumeBackup, PodVolumeRestore,
/// DataUpload and DataDownload.
package struct DataMoveProgress: Codable, Sendable, Hashable {
    package var totalBytes: Int64?
    package var bytesDone: Int64?

    package init(totalBytes: Int64? = nil, bytesDone: Int64? = nil) {
        self.totalBytes = totalBytes
        self.bytesDone = bytesDone
    }
}

/// The phases of PodVolumeBackup, PodVolumeRestore, DataUpload and DataDownload.
package enum DataMovePhase {
    package static let new = "New"
    package static let accepted = "Accepted"
    package static let prepared = "Prepared"
    package static let inProgress = "InProgress"
    package static let canceling = "Canceling"
    package static let canceled = "Canceled"
    package static let completed = "Completed"
    package static let failed = "Failed"
}
