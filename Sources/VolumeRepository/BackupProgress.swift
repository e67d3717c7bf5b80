import Synchronization

/// Live counters of a running backup or restore, read by a progress printer.
public final class BackupProgress: Sendable {
    /// A snapshot of the counters.
    public struct Counts: Sendable {
        public var files = 0
        public var bytes: UInt64 = 0
        public var errors = 0
        /// Totals from the scanner, when known.
        public var totalFiles = 0
        public var totalBytes: UInt64 = 0
        public var scanFinished = false
    }
    private let state = Mutex(Counts())

    public init() {}

    public var counts: Counts { state.withLock { $0 } }

    func addFile(bytes: UInt64) { state.withLock { $0.files += 1; $0.bytes += bytes } }
    func addBytes(_ n: UInt64) { state.withLock { $0.bytes += n } }
    func addError() { state.withLock { $0.errors += 1 } }
    /// Sets the totals found by a scan.
    public func setTotals(files: Int, bytes: UInt64, finished: Bool) {
        state.withLock {
            $0.totalFiles = files
            $0.totalBytes = bytes
            $0.scanFinished = finished
        }
    }
}
