import Synchronization

/// Live counters of a running backup or restore, read by a progress printer.
package final class BackupProgress: Sendable {
    /// A snapshot of the counters.
    package struct Counts: Sendable {
        package var files = 0
        package var bytes: UInt64 = 0
        package var errors = 0
        /// Totals from the scanner, when known.
        package var totalFiles = 0
        package var totalBytes: UInt64 = 0
        package var scanFinished = false
    }
    private let state = Mutex(Counts())

    package init() {}

    package var counts: Counts { state.withLock { $0 } }

    func addFile(bytes: UInt64) {
        state.withLock {
            $0.files += 1
            $0.bytes += bytes
        }
    }
    func addBytes(_ n: UInt64) { state.withLock { $0.bytes += n } }
    func addError() { state.withLock { $0.errors += 1 } }
    /// Sets the totals found by a scan.
    package func setTotals(files: Int, bytes: UInt64, finished: Bool) {
        state.withLock {
            $0.totalFiles = files
            $0.totalBytes = bytes
            $0.scanFinished = finished
        }
    }
}
