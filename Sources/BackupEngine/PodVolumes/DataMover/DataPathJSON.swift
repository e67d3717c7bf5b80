import Kubernetes
import VeleroAPI

/// The data-path messages as Go's `encoding/json` writes Velero's structs: fields in declaration order,
/// `omitempty` ones left out when zero.
enum DataPathJSON {
    /// `{"totalBytes":…,"doneBytes":…}` (`uploader.Progress`).
    static func progress(_ progress: DataPathProgressMessage) -> String {
        var object: JSONObject = [:]
        if progress.totalBytes != 0 { object["totalBytes"] = .int(progress.totalBytes) }
        if progress.doneBytes != 0 { object["doneBytes"] = .int(progress.doneBytes) }
        return JSONValue.object(object).jsonString
    }

    /// `{"snapshotID":…,"emptySnapshot":…,"source":{…},"totalBytes":…,"incrementalBytes":…}` (`BackupResult`).
    static func backupResult(_ result: DataPathBackupResult) -> String {
        var object: JSONObject = [
            "snapshotID": .string(result.snapshotID), "emptySnapshot": .bool(result.emptySnapshot),
            "source": accessPoint(result.source),
        ]
        if result.totalBytes != 0 { object["totalBytes"] = .int(result.totalBytes) }
        if result.incrementalBytes != 0 { object["incrementalBytes"] = .int(result.incrementalBytes) }
        return JSONValue.object(object).jsonString
    }

    /// `{"target":{…},"totalBytes":…}` (`RestoreResult`).
    static func restoreResult(_ result: DataPathRestoreResult) -> String {
        var object: JSONObject = ["target": accessPoint(result.target)]
        if result.totalBytes != 0 { object["totalBytes"] = .int(result.totalBytes) }
        return JSONValue.object(object).jsonString
    }

    private static func accessPoint(_ point: DataPathAccessPoint) -> JSONValue {
        ["byPath": .string(point.byPath), "volumeMode": .string(point.volumeMode)]
    }
}
