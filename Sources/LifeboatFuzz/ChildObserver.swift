import Foundation
import LifeboatFuzzing
import Synchronization

/// The child process's side of crash, hang and memory detection.
///
/// Before each input it writes the input, prefixed by its number (8 bytes, little-endian), to the
/// in-flight file, so that when the process dies the parent knows which input killed it. A watchdog thread
/// samples the resident size every 20 ms and ends the process with ``hangExitCode`` when one input runs
/// longer than the hang limit, or ``memoryExitCode`` when the resident size passes the hard limit (the machine
/// is shared: an input that would take all memory is stopped, not allowed to run the machine out).
final class ChildObserver: FuzzObserver {
    static let hangExitCode: Int32 = 70
    static let memoryExitCode: Int32 = 71

    private struct State {
        var iteration = -1
        var started: ContinuousClock.Instant?
        var peak = 0
    }

    private let state = Mutex(State())
    private let inflight: Int32
    private let findings: FindingsFolder
    private let target: String

    /// - Parameters:
    ///   - hangLimit: one input running longer than this ends the process.
    ///   - memoryLimit: a resident size above this ends the process.
    init(target: String, findings: FindingsFolder, hangLimit: Duration, memoryLimit: Int) throws {
        self.target = target
        self.findings = findings
        inflight = open(findings.inflightPath(target), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard inflight >= 0 else {
            throw FuzzToolError("cannot write \(findings.inflightPath(target)): errno \(errno)")
        }
        let thread = Thread { [self] in watch(hangLimit: hangLimit, memoryLimit: memoryLimit) }
        thread.start()
    }

    private func watch(hangLimit: Duration, memoryLimit: Int) {
        let clock = ContinuousClock()
        while true {
            Thread.sleep(forTimeInterval: 0.02)
            let resident = ProcessMemory.residentBytes()
            let started = state.withLock { (s: inout State) -> ContinuousClock.Instant? in
                s.peak = max(s.peak, resident)
                return s.started
            }
            if let started, clock.now - started > hangLimit { _exit(Self.hangExitCode) }
            if resident > memoryLimit { _exit(Self.memoryExitCode) }
        }
    }

    func willRun(iteration: Int, input: [UInt8]) {
        var record = withUnsafeBytes(of: UInt64(iteration).littleEndian) { Array($0) }
        record += input
        _ = ftruncate(inflight, 0)
        _ = record.withUnsafeBytes { pwrite(inflight, $0.baseAddress, $0.count, 0) }
        let resident = ProcessMemory.residentBytes()
        state.withLock {
            $0 = State(iteration: iteration, started: ContinuousClock.now, peak: resident)
        }
    }

    func didRun(iteration: Int) -> Int? {
        let resident = ProcessMemory.residentBytes()
        return state.withLock {
            $0.started = nil
            return max($0.peak, resident)
        }
    }

    func record(_ kind: String, iteration: Int, input: [UInt8]) {
        findings.save(input, target: target, kind: kind, iteration: iteration)
    }
}
