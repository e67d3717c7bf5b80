import ArgumentParser
import Foundation
import Kubernetes
import Logging

/// `--log-format` of the long-running commands (`server`, `node-agent server`), as Velero's: `text` (one line per
/// message, as swift-log's stream handler writes it) or `json` (one JSON object per line, logrus's JSON formatter's
/// keys: `level`, `msg`, `time`, then the message's metadata), on stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json

    /// A stderr logger labelled `label` at `level`, in this format.
    func logger(label: String, level: Logger.Level) -> Logger {
        var logger =
            switch self {
            case .text: Logger(label: label) { StreamLogHandler.standardError(label: $0) }
            case .json: Logger(label: label) { _ in JSONLogHandler() }
            }
        logger.logLevel = level
        return logger
    }
}

/// Writes each message as one JSON object on a line of stderr, with logrus's keys and level names.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// logrus's name of `level` (it has no `notice` or `critical`).
    static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warning"
        case .error: "error"
        case .critical: "fatal"
        }
    }

    /// The line written for one message (without its newline).
    static func line(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata,
        source: String,
        time: Date
    ) -> String {
        var object: JSONObject = [
            "level": .string(name(of: level)), "msg": .string(message.description),
            "time": .string(time.formatted(.iso8601)),
        ]
        for key in metadata.keys.sorted() where object[key] == nil {
            object[key] = .string(metadata[key].map { "\($0)" } ?? "")
        }
        if object["logSource"] == nil { object["logSource"] = .string(source) }
        return JSONValue.object(object).jsonString
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let text = Self.line(
            level: event.level,
            message: event.message,
            metadata: merged,
            source: event.source,
            time: Date()
        )
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
