import Foundation
import Synchronization
import VeleroAPI

/// The text log of a backup or restore, in logrus's text format like Velero's
/// (`time="…" level=info msg="…" backup=velero/name`), uploaded gzipped as `<name>-logs.gz`.
///
/// Thread-safe: the engines log from concurrent tasks.
package final class RunLog: Sendable {
    private let lines = Mutex<[String]>([])
    private let context: String

    /// - Parameter context: the `key=value` that ends every line, e.g. `backup=velero/nightly`.
    package init(context: String) {
        self.context = context
    }

    /// Appends one line.
    package func log(_ level: String = "info", _ message: String, fields: [(String, String)] = []) {
        var line = "time=\"\(Timestamps.now())\" level=\(level) msg=\(Self.quote(message))"
        for (key, value) in fields { line += " \(key)=\(Self.quote(value))" }
        line += " \(context)"
        lines.withLock { $0.append(line) }
    }

    package func info(_ message: String, fields: [(String, String)] = []) { log("info", message, fields: fields) }
    package func warning(_ message: String, fields: [(String, String)] = []) { log("warning", message, fields: fields) }
    package func error(_ message: String, fields: [(String, String)] = []) { log("error", message, fields: fields) }

    /// The whole log as text, one line per entry.
    package var text: String { lines.withLock { $0.joined(separator: "\n") + ($0.isEmpty ? "" : "\n") } }

    private static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" })
        guard needsQuotes else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
