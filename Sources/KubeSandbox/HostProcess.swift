import Foundation
import Synchronization

/// A process started for `kubectl exec`, with its standard streams on pipes: output arrives as chunks on
/// ``output`` (read by one blocking reader thread per pipe, so nothing polls), input is written in order on
/// a serial queue, and the exit status is awaited with ``exitStatus()`` (one thread waits for it).
final class HostProcess: Sendable {
    /// Which output stream a chunk came from (the remote-command channel numbers).
    enum Stream: UInt8, Sendable {
        case stdout = 1
        case stderr = 2
    }

    /// Output chunks in the order each pipe delivered them; finishes when every output pipe is at its end.
    let output: AsyncStream<(Stream, [UInt8])>
    private let exit: AsyncStream<Int32>
    /// The command's PID, which leads its own process group.
    private let pid: pid_t
    /// Set (under the lock) once the process exited, before it is reaped: after that its PID may name another
    /// process, so nothing is sent to it any more.
    private let exited = Mutex(false)
    /// The write end of the stdin pipe (nil when stdin was not requested), used only on `inputQueue`.
    private let inputDescriptor: Int32?
    private let inputQueue = DispatchQueue(label: "lifeboat.sandbox.exec.stdin")
    private let inputClosed = Mutex(false)

    /// Ignores SIGPIPE once for the process: writing into a command that stopped reading must fail with
    /// EPIPE, not kill the sandbox.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
    /// Output pipes not yet at their end.
    private let openOutputs: Mutex<Int>

    /// Starts `invocation` (``Spawn``: a process group of its own, nothing of the sandbox's descriptors);
    /// streams that are not requested are connected to /dev/null.
    init(_ invocation: ProcessInvocation, stdin: Bool, stdout: Bool, stderr: Bool) throws {
        _ = Self.ignoreSIGPIPE
        var pipes: [(read: Int32, write: Int32)?] = []
        // The child's ends are closed here once it started; the parent's ends on failure.
        var childEnds: [Int32] = []
        defer { for descriptor in childEnds { close(descriptor) } }
        let started: pid_t
        do {
            for requested in [stdin, stdout, stderr] { pipes.append(requested ? try Spawn.pipe() : nil) }
            var descriptors: [(child: Int32, source: Spawn.Source)] = []
            for (index, pipe) in pipes.enumerated() {
                let child = Int32(index)
                guard let pipe else {
                    descriptors.append((child, .null(flags: index == 0 ? O_RDONLY : O_WRONLY)))
                    continue
                }
                let end = index == 0 ? pipe.read : pipe.write
                childEnds.append(end)
                descriptors.append((child, .descriptor(end)))
            }
            started = try Spawn.start(
                executable: invocation.executable,
                arguments: invocation.arguments,
                environment: invocation.environment,
                workingDirectory: invocation.workingDirectory,
                descriptors: descriptors
            )
        } catch {
            for (index, pipe) in pipes.enumerated() {
                if let pipe { close(index == 0 ? pipe.write : pipe.read) }
            }
            throw error
        }
        pid = started
        inputDescriptor = pipes[0]?.write
        let (exit, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
        self.exit = exit
        let (output, continuation) = AsyncStream.makeStream(of: (Stream, [UInt8]).self)
        self.output = output
        let readers: [(Int32, Stream)] = [(pipes[1], Stream.stdout), (pipes[2], Stream.stderr)].compactMap {
            pipe,
            stream in pipe.map { ($0.read, stream) }
        }
        openOutputs = Mutex(readers.count)
        if readers.isEmpty { continuation.finish() }
        // Each reader thread owns its pipe's read end and closes it at the end.
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
        let waiter = Thread { [self, started] in
            // Wait for the exit without reaping first, so `forceStop` never signals a PID that was reused.
            var information = siginfo_t()
            while waitid(P_PID, id_t(started), &information, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            exited.withLock { $0 = true }
            var status: Int32 = 0
            while waitpid(started, &status, 0) < 0 && errno == EINTR {}
            exitContinuation.yield(Spawn.exitCode(ofWaitStatus: status))
            exitContinuation.finish()
        }
        waiter.name = "lifeboat-exec-wait"
        waiter.start()
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
        guard let descriptor = inputDescriptor, !inputClosed.withLock({ $0 }) else { return }
        inputQueue.async {
            bytes.withUnsafeBytes { Spawn.writeAll(descriptor, $0) }
        }
    }

    /// Ends the process's standard input (after the bytes written before).
    func closeInput() {
        guard let descriptor = inputDescriptor else { return }
        let first = inputClosed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        inputQueue.async {
            close(descriptor)
        }
    }

    /// Kills the process and its process group (SIGKILL) if it still runs.
    ///
    /// The command leads a process group of its own. For an exec it is bwrap, whose second process is the init of
    /// the container's process namespace: killing only the first would leave the command running, killing the
    /// group ends the namespace's init and, with it, every process in it (what containerd does to an exec whose
    /// stream went away).
    func forceStop() {
        exited.withLock { exited in
            guard !exited else { return }
            if kill(-pid, SIGKILL) != 0 { _ = kill(pid, SIGKILL) }
        }
    }

    /// The exit code (128 + signal number for a process killed by a signal), once it exited.
    func exitStatus() async -> Int32 {
        for await status in exit { return status }
        return 128 + SIGKILL
    }

    deinit {
        // Input still open when the session ends (the process is gone or going): release the descriptor.
        // Closed on the input queue, after any write still pending there.
        if let descriptor = inputDescriptor, !inputClosed.withLock({ $0 }) {
            inputQueue.async { close(descriptor) }
        }
    }
}
