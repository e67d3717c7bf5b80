import Foundation
import Kubernetes

/// A container's termination message, as the kubelet fills `state.terminated.message`
/// (`pkg/kubelet/kuberuntime/kuberuntime_container.go` `getTerminationMessage` and
/// `readLastStringFromContainerLogs`, `pkg/kubelet/status` `normalizeStatus`):
///
/// - every run of a container gets a new empty host file, bound at its `terminationMessagePath`
///   (default `/dev/termination-log`); when the run ends, the last ``maxContainerBytes`` of the file are its
///   message;
/// - with `terminationMessagePolicy: FallbackToLogsOnError`, a run that failed (non-zero exit) and left the
///   file empty gets the end of its log instead: the last ``maxLogLines`` lines, at most the last
///   ``maxLogBytes`` of them;
/// - the pod's messages share ``maxPodBytes``: each keeps at most its first `maxPodBytes / containers` bytes
///   (containers and init containers counted).
struct TerminationMessage: Sendable, Equatable {
    /// The default `terminationMessagePath`.
    static let defaultPath = "/dev/termination-log"
    /// kubelet's `MaxContainerTerminationMessageLength`.
    static let maxContainerBytes = 4 * 1024
    /// kubelet's `MaxPodTerminationMessageLogLength`.
    static let maxPodBytes = 12 * 1024
    /// kubelet's `MaxContainerTerminationMessageLogLines`.
    static let maxLogLines = 80
    /// kubelet's `MaxContainerTerminationMessageLogLength`.
    static let maxLogBytes = 2 * 1024

    /// The container's `terminationMessagePath` (nil when it is empty: no file is bound).
    var path: String?
    /// `terminationMessagePolicy: FallbackToLogsOnError`.
    var fallbackToLogs: Bool

    /// The settings of a container of a pod spec (absent fields take the API server's defaults).
    init(container: JSONValue) {
        let path = container["terminationMessagePath"]?.stringValue ?? Self.defaultPath
        self.path = path.isEmpty ? nil : path
        fallbackToLogs = container["terminationMessagePolicy"]?.stringValue == "FallbackToLogsOnError"
    }

    /// The host file of a container's runs: `<pod folder>/containers/<name>/termination-log`.
    static func file(podFolder: URL, container: String) -> URL {
        podFolder.appendingPathComponent("containers/\(container)/termination-log", isDirectory: false)
    }

    /// Creates the run's empty host file (replacing the previous run's), writable by any user of the container.
    ///
    /// - Returns: the file, nil when the container has no path or the file cannot be made.
    func prepareFile(podFolder: URL, container: String) -> URL? {
        guard path != nil else { return nil }
        let file = Self.file(podFolder: podFolder, container: container)
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? fileManager.removeItem(at: file)
            guard fileManager.createFile(atPath: file.path, contents: nil) else { return nil }
            try fileManager.setAttributes([.posixPermissions: 0o666], ofItemAtPath: file.path)
        } catch {
            return nil
        }
        return file
    }

    /// The message of a finished run.
    ///
    /// - Parameters:
    ///   - file: the run's host file (nil: none was bound).
    ///   - exitCode: how the run ended.
    ///   - logFile: the run's CRI log file (for `FallbackToLogsOnError`).
    ///   - containers: how many containers and init containers the pod has.
    /// - Returns: nil when there is no message.
    func message(file: URL?, exitCode: Int32, logFile: URL, containers: Int) -> String? {
        let fallback = fallbackToLogs && exitCode != 0
        var text = ""
        if let file, let handle = try? FileHandle(forReadingFrom: file) {
            defer { try? handle.close() }
            let data = (try? handle.readToEnd()) ?? Data()
            text = String(decoding: data.suffix(Self.maxContainerBytes), as: UTF8.self)
        }
        if text.isEmpty && fallback { text = Self.logTail(of: logFile) }
        guard !text.isEmpty else { return nil }
        return Self.truncated(text, containers: containers)
    }

    /// The first `maxPodBytes / containers` bytes of `text` (the status manager's share of each container).
    static func truncated(_ text: String, containers: Int) -> String {
        let limit = maxPodBytes / max(1, containers)
        let bytes = Array(text.utf8)
        guard bytes.count > limit else { return text }
        return String(decoding: bytes.prefix(limit), as: UTF8.self)
    }

    /// The end of a CRI log file as the kubelet reads it for a failed container: the text of the last
    /// ``maxLogLines`` lines (both streams), of which the last ``maxLogBytes`` bytes.
    static func logTail(of logFile: URL) -> String {
        guard let data = FileManager.default.contents(atPath: logFile.path) else { return "" }
        var lines: [String] = []
        var pending = ""
        for raw in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            guard let line = CRILogLine(parsing: raw) else { continue }
            pending += line.content
            if !line.partial {
                lines.append(pending + "\n")
                pending = ""
            }
        }
        if !pending.isEmpty { lines.append(pending) }
        let text = lines.suffix(maxLogLines).joined()
        return String(decoding: Array(text.utf8).suffix(maxLogBytes), as: UTF8.self)
    }
}
