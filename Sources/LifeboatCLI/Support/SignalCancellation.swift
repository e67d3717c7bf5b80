import ArgumentParser
import Foundation
import UnixSignals

/// Runs a command's work so that SIGINT (Ctrl-C) or SIGTERM cancels it instead of killing the process.
///
/// Structured cancellation: the work runs in a child task next to one that waits for the signals (ServiceLifecycle's
/// `UnixSignalsSequence`, as the CLI's ServiceGroups use it); the first signal cancels the work, which then cleans up
/// after itself (the backup and restore runners mark their run Failed and remove what they wrote) and throws. The
/// command then exits with 128 + the signal number (130 for SIGINT, 143 for SIGTERM), as a shell reports a run
/// killed by that signal. No global handler is installed: the signals are trapped only while the work runs.
///
/// ```swift
/// let backup = try await SignalCancellation.run { try await runner.run(request) }
/// ```
enum SignalCancellation {
    /// The work was cancelled by `signal`, and ended with `error` (what it cleaned up).
    struct Interrupted: Error, CustomStringConvertible {
        var signal: UnixSignal
        var error: any Error

        /// `SIGINT`, `SIGTERM`.
        var signalName: String { signal.description.uppercased() }

        /// 128 + the signal number.
        var exitCode: ExitCode { ExitCode(128 + signal.rawValue) }

        var description: String {
            // A bare CancellationError: the work stopped before it wrote anything (its runners say what they
            // cleaned up otherwise).
            let message = error is CancellationError ? "stopped before anything was written" : "\(error)"
            return "Interrupted by \(signalName): \(message)"
        }
    }

    private enum Event<R: Sendable>: Sendable {
        case finished(R)
        case signal(UnixSignal)
    }

    /// Runs `body`; on SIGINT or SIGTERM cancels it and waits for it to end.
    /// - Returns: what `body` returned (also when a signal came too late to stop it).
    /// - Throws: ``Interrupted`` when a signal cancelled `body` and it threw; `body`'s error otherwise.
    static func run<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return try await withThrowingTaskGroup(of: Event<R>.self) { group in
            group.addTask { .finished(try await body()) }
            group.addTask {
                for await signal in signals { return .signal(signal) }
                throw CancellationError()
            }
            var caught: UnixSignal?
            while true {
                do {
                    guard let event = try await group.next() else { throw CancellationError() }
                    switch event {
                    case .finished(let value):
                        group.cancelAll()
                        return value
                    case .signal(let signal):
                        caught = signal
                        group.cancelAll()
                    }
                } catch {
                    guard let caught else {
                        group.cancelAll()
                        throw error
                    }
                    throw Interrupted(signal: caught, error: error)
                }
            }
        }
    }

    /// Runs `body`; when it throws ``Interrupted``, prints its one line to stderr and exits with its code.
    static func exitOnInterruption<R>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> R
    ) async throws -> R {
        do {
            return try await body()
        } catch let interrupted as Interrupted {
            FileHandle.standardError.write(Data((interrupted.description + "\n").utf8))
            throw interrupted.exitCode
        }
    }
}
