import Foundation
import Synchronization
import VeleroAPI

/// The text log of a backup or restore, in logrus's text format like Velero's
/// (`time="…" level=info msg="…" backup=velero/name`), uploaded gzipped as `<name>-logs.gz`.
///
/// A run of a million items logs a line for each, about a hundred megabytes of text, so the log is kept
/// compressed: lines collect in a small buffer, and each full buffer becomes one gzip member. Concatenated members
/// are one valid gzip file (RFC 1952; Go's `gzip.Reader`, which `velero restore logs` uses, reads them as one), so
/// ``gzipped()`` is the upload as it is.
///
/// Thread-safe: the engines log from concurrent tasks.
package final class RunLog: Sendable {
    private struct State {
        /// Whole gzip members, each ending where the next begins.
        var members: [UInt8] = []
        /// Lines not compressed yet.
        var pending: [UInt8] = []
        var isEmpty = true
    }

    /// The text compressed at once; larger members compress a little better, smaller ones hold less text.
    static let memberSize = 256 * 1024

    private let state = Mutex(State())
    private let context: String
    private let memberSize: Int

    /// - Parameters:
    ///   - context: the `key=value` that ends every line, e.g. `backup=velero/nightly`.
    ///   - memberSize: how much text is collected before it is compressed.
    package init(context: String, memberSize: Int = RunLog.memberSize) {
        self.context = context
        self.memberSize = max(1, memberSize)
    }

    /// Appends one line.
    package func log(_ level: String = "info", _ message: String, fields: [(String, String)] = []) {
        var line = "time=\"\(Timestamps.now())\" level=\(level) msg=\(Self.quote(message))"
        for (key, value) in fields { line += " \(key)=\(Self.quote(value))" }
        line += " \(context)\n"
        state.withLock { state in
            state.isEmpty = false
            state.pending.append(contentsOf: line.utf8)
            if state.pending.count >= memberSize {
                state.members += Self.member(state.pending)
                state.pending.removeAll(keepingCapacity: true)
            }
        }
    }

    package func info(_ message: String, fields: [(String, String)] = []) { log("info", message, fields: fields) }
    package func warning(_ message: String, fields: [(String, String)] = []) { log("warning", message, fields: fields) }
    package func error(_ message: String, fields: [(String, String)] = []) { log("error", message, fields: fields) }

    /// The whole log, gzipped: the upload of `<name>-logs.gz`.
    package func gzipped() -> [UInt8] {
        state.withLock { state in
            state.members + (state.pending.isEmpty && !state.isEmpty ? [] : Self.member(state.pending))
        }
    }

    /// The whole log as text, one line per entry.
    package var text: String {
        String(decoding: (try? GzipDecompressor.decompress(gzipped())) ?? [], as: UTF8.self)
    }

    /// The compressed size so far (what the log holds in memory).
    package var compressedSize: Int { state.withLock { $0.members.count + $0.pending.count } }

    /// Level 1: the lines repeat so much that it compresses them several times over, at a fraction of level 6's
    /// cost; the format is the same.
    private static func member(_ text: [UInt8]) -> [UInt8] {
        (try? GzipCompressor.compress(text, level: 1)) ?? []
    }

    private static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" })
        guard needsQuotes else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
