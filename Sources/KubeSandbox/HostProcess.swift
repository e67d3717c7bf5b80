import Foundation
import Synchronization

/// A process started for `kubectl exec`, with its standard streams on pipes: output arrives as chunks on
/// ``output`` (read by one blocking reader thread per pipe, so nothing polls), input is written in order on
/// a serial queue, and the exit status is awaited with ``exitStatus()``.
final class HostProcess: Sendable {
    /// Which output stream a chunk came from (the remote-command channel numbers).
    enum Stream: UInt8, Sendable {
        case stdout = 1
        case stderr = 2
    }

    /// Output chunks in the order each pipe delivered them; finishes when every output pipe is at its end.
    let output: AsyncStream<(Stream, [UInt8])>
    private let exit: AsyncStream<Int32>
    /// `Process` is not Sendable; after `run()` it is only asked for its pid and running state, which it
    /// guards itself, and the terminate/kill calls are thread-safe system calls.
    private struct ProcessBox: @unchecked Sendable { let process: Process }
    private let box: ProcessBox
    /// The write end of the stdin pipe (nil when stdin was not requested), used only on `inputQueue`.
    private struct HandleBox: @unchecked Sendable { let handle: FileHandle? }
    private let input: HandleBox
    private let inputQueue = DispatchQueue(label: "lifeboat.sandbox.exec.stdin")
    private let inputClosed = Mutex(false)

    /// Ignores SIGPIPE once for the process: writing into a command that stopped reading must fail with
    /// EPIPE, not kill the sandbox.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
    /// Output pipes not yet at their end.
    private let openOutputs: Mutex<Int>

    /// Starts `invocation`; streams that are not requested are connected to /dev/null.
    init(_ invocation: ProcessInvocation, stdin: Bool, stdout: Bool, stderr: Bool) throws {
        _ = Self.ignoreSIGPIPE
        let process = Process()
        process.executableURL = URL(fileURLWithPath: invocation.executable)
        process.arguments = invocation.arguments
        process.environment = invocation.environment
        if let directory = invocation.workingDirectory {
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
        }
        let inputPipe = stdin ? Pipe() : nil
        let outputPipe = stdout ? Pipe() : nil
        let errorPipe = stderr ? Pipe() : nil
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        process.standardOutput = outputPipe ?? FileHandle.nullDevice
        process.standardError = errorPipe ?? FileHandle.nullDevice
        // The parent's ends must not leak into the child (a leaked stdin write end would keep the command
        // from ever seeing the end of its input).
        let parentEnds = [
            inputPipe?.fileHandleForWriting, outputPipe?.fileHandleForReading, errorPipe?.fileHandleForReading,
        ]
        for handle in parentEnds {
            if let descriptor = handle?.fileDescriptor { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        }
        let (exit, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { finished in
            let status = finished.terminationStatus
            exitContinuation.yield(finished.terminationReason == .uncaughtSignal ? 128 + status : status)
            exitContinuation.finish()
        }
        try process.run()
        self.exit = exit
        box = ProcessBox(process: process)
        input = HandleBox(handle: inputPipe?.fileHandleForWriting)
        let (output, continuation) = AsyncStream.makeStream(of: (Stream, [UInt8]).self)
        self.output = output
        // Each reader thread owns a duplicate of its pipe's read end and closes it at the end; the Pipe's
        // own handle is closed here, so no descriptor is closed twice.
        let readers = [(outputPipe, Stream.stdout), (errorPipe, Stream.stderr)].compactMap { pipe, stream in
            pipe.map { pipe -> (Int32, Stream) in
                let descriptor = dup(pipe.fileHandleForReading.fileDescriptor)
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                try? pipe.fileHandleForReading.close()
                return (descriptor, stream)
            }
        }
        openOutputs = Mutex(readers.count)
        if readers.isEmpty { continuation.finish() }
        for (descriptor, stream) in readers {
            let thread = Thread { [self] in
                Self.readUntilEnd(descriptor) { continuation.yield((stream, $0)) }
                close(descriptor)
                let last = openOutputs.withLock { count -> Bool in
                    count -= 1
                    return count == 0
                }
                if last { continuation.finish() }
            }
            thread.name = "lifeboat-exec-\(stream)"
            thread.start()
        }
    }

    /// Blocking reads until end of file or an error.
    private static func readUntilEnd(_ descriptor: Int32, deliver: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                deliver(Array(buffer[0..<count]))
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Writes bytes to the process's standard input (in order; dropped once input is closed or the process
    /// stopped reading).
    func writeInput(_ bytes: [UInt8]) {
        guard let handle = input.handle, !inputClosed.withLock({ $0 }) else { return }
        inputQueue.async {
            try? handle.write(contentsOf: bytes)
        }
    }

    /// Ends the process's standard input (after the bytes written before).
    func closeInput() {
        guard let handle = input.handle else { return }
        let first = inputClosed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        inputQueue.async {
            try? handle.close()
        }
    }

    /// Kills the process and its process group (SIGKILL) if it still runs.
    ///
    /// `Process` starts the child in a process group of its own. For an exec that child is bwrap, whose second
    /// process is the init of the container's process namespace: killing only the first would leave the
    /// command running, killing the group ends the namespace's init and, with it, every process in it (what
    /// containerd does to an exec whose stream went away).
    func forceStop() {
        guard box.process.isRunning else { return }
        let pid = box.process.processIdentifier
        if kill(-pid, SIGKILL) != 0 { _ = kill(pid, SIGKILL) }
    }

    /// The exit code (128 + signal number for a process killed by a signal), once it exited.
    func exitStatus() async -> Int32 {
        for await status in exit { return status }
        return box.process.terminationStatus
    }
}
