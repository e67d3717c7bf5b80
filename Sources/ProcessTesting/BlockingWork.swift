import Foundation

/// Runs blocking work (waiting for a child process, reading its output to the end) on a thread of its own.
///
/// The cooperative pool has one thread per core (two on the CI machine), and the whole test suite runs in
/// parallel in one process: a test that blocks one of those threads for seconds (a Python interpreter
/// starting, `tar` on a large archive) stalls the sandboxes and clients of every test running alongside.
///
/// ```swift
/// let status = try await offCooperativePool { process.waitUntilExit(); return process.terminationStatus }
/// ```
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
