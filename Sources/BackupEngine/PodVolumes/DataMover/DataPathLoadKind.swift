import Kubernetes
import VeleroAPI

/// The two kinds of load a pod-volume micro-service runs, with the names Velero's messages use for them.
struct DataPathLoadKind: Sendable {
    /// `podvolumebackups` or `podvolumerestores`.
    var resource: GroupVersionResource
    /// `PodVolumeBackup` or `PodVolumeRestore`.
    var kind: String
    /// `PVB` or `PVR`, as in `Data path for PVB <name> failed`.
    var abbreviation: String

    static let backup = DataPathLoadKind(
        resource: PodVolumeBackup.resource,
        kind: PodVolumeBackup.kindInfo.kind,
        abbreviation: "PVB"
    )
    static let restore = DataPathLoadKind(
        resource: PodVolumeRestore.resource,
        kind: PodVolumeRestore.kindInfo.kind,
        abbreviation: "PVR"
    )
}

/// A data path ready to run (Velero's initialized `fileSystemBR`): how to read its progress and how to run it.
struct DataPathJob: Sendable {
    /// The counters a `Data-Path-Progress` event reports.
    var progress: @Sendable () -> DataPathProgressMessage
    /// Work that helps the progress while the data path runs (a scan for the total); cancelled at the end.
    var companion: (@Sendable () async -> Void)?
    /// Runs the data path; returns the `Data-Path-Completed` message (the result JSON).
    var run: @Sendable () async throws -> String
}
