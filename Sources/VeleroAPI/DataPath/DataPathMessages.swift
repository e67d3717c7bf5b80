/// Velero 1.18's protocol between a data-mover micro-service (the hosting pod's `velero pod-volume backup|restore`
/// or `velero data-mover backup|restore`; Lifeboat's `lifeboat pod-volume …`) and the node agent that watches it
/// (`pkg/datapath/micro_service_watcher.go`):
///
/// - the micro-service records Kubernetes Events whose involved object is the load (PodVolumeBackup, …) with the
///   reasons below; `Data-Path-Progress` carries a ``DataPathProgressMessage`` as JSON, `Data-Path-Completed` the
///   result (``DataPathBackupResult`` / ``DataPathRestoreResult``) as JSON;
/// - it ends by writing a message to ``terminationLogPath`` and exiting 0 (the result JSON) or 1 (the error; a
///   canceled run's message ends with ``canceledMessageSuffix``);
/// - the node agent reads the progress from the events and, once the hosting pod is `Succeeded` or `Failed`, the
///   outcome from the container's `state.terminated.message`.
package enum DataPathMessages {
    package static let reasonStarted = "Data-Path-Started"
    package static let reasonCompleted = "Data-Path-Completed"
    package static let reasonFailed = "Data-Path-Failed"
    package static let reasonCanceled = "Data-Path-Canceled"
    package static let reasonProgress = "Data-Path-Progress"
    package static let reasonCanceling = "Data-Path-Canceling"
    package static let reasonStopped = "Data-Path-Stopped"

    /// The end of the termination message of a canceled data path (Velero's `datapath.ErrCancelled`).
    package static let canceledMessageSuffix = "data path is canceled"

    /// Where the micro-service writes its outcome (the container's default `terminationMessagePath`).
    package static let terminationLogPath = "/dev/termination-log"
}

/// Velero's `uploader.Progress` as a `Data-Path-Progress` event message: `{"totalBytes":…,"doneBytes":…}`, each
/// left out when zero (Go's `omitempty`).
package struct DataPathProgressMessage: Codable, Sendable, Hashable {
    package var totalBytes: Int64
    package var doneBytes: Int64

    package init(totalBytes: Int64, doneBytes: Int64) {
        self.totalBytes = totalBytes
        self.doneBytes = doneBytes
    }

    private enum CodingKeys: String, CodingKey { case totalBytes, doneBytes }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        totalBytes = try c.decodeIfPresent(Int64.self, forKey: .totalBytes) ?? 0
        doneBytes = try c.decodeIfPresent(Int64.self, forKey: .doneBytes) ?? 0
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if totalBytes != 0 { try c.encode(totalBytes, forKey: .totalBytes) }
        if doneBytes != 0 { try c.encode(doneBytes, forKey: .doneBytes) }
    }
}

/// Velero's `datapath.AccessPoint`: where the data path read or wrote (`{"byPath":…,"volumeMode":…}`;
/// `volumeMode` is `Filesystem` or `Block`).
package struct DataPathAccessPoint: Codable, Sendable, Hashable {
    package var byPath: String
    package var volumeMode: String

    package init(byPath: String = "", volumeMode: String = "Filesystem") {
        self.byPath = byPath
        self.volumeMode = volumeMode
    }
}

/// Velero's `datapath.BackupResult`: `snapshotID` and `emptySnapshot` always, `source` always (Go does not omit
/// an empty struct), `totalBytes` and `incrementalBytes` only when not zero.
package struct DataPathBackupResult: Codable, Sendable, Hashable {
    package var snapshotID: String
    package var emptySnapshot: Bool
    package var source: DataPathAccessPoint
    package var totalBytes: Int64
    package var incrementalBytes: Int64

    package init(
        snapshotID: String,
        emptySnapshot: Bool = false,
        source: DataPathAccessPoint = .init(),
        totalBytes: Int64 = 0,
        incrementalBytes: Int64 = 0
    ) {
        self.snapshotID = snapshotID
        self.emptySnapshot = emptySnapshot
        self.source = source
        self.totalBytes = totalBytes
        self.incrementalBytes = incrementalBytes
    }

    private enum CodingKeys: String, CodingKey { case snapshotID, emptySnapshot, source, totalBytes, incrementalBytes }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        snapshotID = try c.decodeIfPresent(String.self, forKey: .snapshotID) ?? ""
        emptySnapshot = try c.decodeIfPresent(Bool.self, forKey: .emptySnapshot) ?? false
        source = try c.decodeIfPresent(DataPathAccessPoint.self, forKey: .source) ?? .init()
        totalBytes = try c.decodeIfPresent(Int64.self, forKey: .totalBytes) ?? 0
        incrementalBytes = try c.decodeIfPresent(Int64.self, forKey: .incrementalBytes) ?? 0
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(snapshotID, forKey: .snapshotID)
        try c.encode(emptySnapshot, forKey: .emptySnapshot)
        try c.encode(source, forKey: .source)
        if totalBytes != 0 { try c.encode(totalBytes, forKey: .totalBytes) }
        if incrementalBytes != 0 { try c.encode(incrementalBytes, forKey: .incrementalBytes) }
    }
}

/// Velero's `datapath.RestoreResult`: `target` always, `totalBytes` only when not zero.
package struct DataPathRestoreResult: Codable, Sendable, Hashable {
    package var target: DataPathAccessPoint
    package var totalBytes: Int64

    package init(target: DataPathAccessPoint = .init(), totalBytes: Int64 = 0) {
        self.target = target
        self.totalBytes = totalBytes
    }

    private enum CodingKeys: String, CodingKey { case target, totalBytes }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        target = try c.decodeIfPresent(DataPathAccessPoint.self, forKey: .target) ?? .init()
        totalBytes = try c.decodeIfPresent(Int64.self, forKey: .totalBytes) ?? 0
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        if totalBytes != 0 { try c.encode(totalBytes, forKey: .totalBytes) }
    }
}
