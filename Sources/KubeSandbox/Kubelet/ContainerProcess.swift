import Foundation
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// One run of a container: a `bwrap` process whose standard output and error become CRI log lines in the run's
/// log file, and whose `--json-status-fd` reports the container's host PID and exit code.
///
/// Nothing waits in a task: the pipes are NIO channels on one event loop, and when all three have ended (the
/// log written and closed) `onExit` is called once with the outcome.
final class ContainerProcess: Sendable {
    /// How a run ended.
    struct Outcome: Sendable, Equatable {
        /// The container's exit code (128 + signal when a signal ended it).
        var exitCode: Int32
        /// `false` when bwrap failed before it started the command (the message says why).
        var started: Bool
        /// The last line bwrap or the command wrote to stderr.
        var lastError: String?
    }

    private struct State {
        var childPID: pid_t = 0
        var exitCode: Int32?
        var openStreams = 3
        var lastError: String?
        var exited = false
        var statusText = ""
    }

    /// bwrap's PID.
    let pid: pid_t
    private let state = Mutex(State())
    private let logDescriptor: Int32
    private let onExit: @Sendable (Outcome) -> Void

    private init(pid: pid_t, logDescriptor: Int32, onExit: @escaping @Sendable (Outcome) -> Void) {
        self.pid = pid
        self.logDescriptor = logDescriptor
        self.onExit = onExit
    }

    /// Starts `executable` with `arguments` (status written to descriptor 3), its output appended to `logFile`.
    ///
    /// The process is spawned on an event loop thread (which lives as long as the process): bwrap's
    /// `--die-with-parent` ties the container to the thread that started it.
    static func start(
        executable: String,
        arguments: [String],
        environment: [String: String],
        logFile: URL,
        onExit: @escaping @Sendable (Outcome) -> Void
    ) async throws -> ContainerProcess {
        try FileManager.default.createDirectory(
            at: logFile.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        let log = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let spawned: (pid_t, [Int32])
        do {
            spawned = try await loop.submit {
                try Self.spawn(executable: executable, arguments: arguments, environment: environment)
            }.get()
        } catch {
            close(log)
            throw error
        }
        let process = ContainerProcess(pid: spawned.0, logDescriptor: log, onExit: onExit)
        let readers = spawned.1
        for (index, descriptor) in readers.enumerated() {
            let handler: any ChannelInboundHandler & Sendable =
                index == 2
                ? StatusReader(process: process)
                : LogWriter(process: process, stream: index == 0 ? .stdout : .stderr, descriptor: log)
            do {
                _ = try await NIOPipeBootstrap(group: loop)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(handler)
                        }
                    }
                    .takingOwnershipOfDescriptor(input: descriptor)
                    .get()
            } catch {
                close(descriptor)
                process.streamEnded(loop: loop)
            }
        }
        return process
    }

    /// posix_spawn with stdin from /dev/null, stdout, stderr and descriptor 3 to pipes, in a new process group.
    private static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String]
    ) throws -> (pid_t, [Int32]) {
        var pipes: [(read: Int32, write: Int32)] = []
        defer { for pipe in pipes { close(pipe.write) } }
        do {
            for _ in 0..<3 { pipes.append(try Spawn.pipe()) }
            let pid = try Spawn.start(
                executable: executable,
                arguments: arguments,
                environment: environment,
                descriptors: [
                    (0, .null(flags: O_RDONLY)), (1, .descriptor(pipes[0].write)), (2, .descriptor(pipes[1].write)),
                    (3, .descriptor(pipes[2].write)),
                ]
            )
            return (pid, pipes.map(\.read))
        } catch {
            for pipe in pipes { close(pipe.read) }
            throw error
        }
    }

    // MARK: - Signals

    /// Sends `signal` to the container's process (PID 1 of its namespace; as in a container, a signal it
    /// does not handle is ignored, except SIGKILL). Before the container's PID is known, SIGKILL goes to bwrap.
    func signal(_ signal: Int32) {
        let (child, exited) = state.withLock { ($0.childPID, $0.exited) }
        guard !exited else { return }
        if child > 0 {
            kill(child, signal)
        } else if signal == SIGKILL {
            kill(pid, SIGKILL)
        }
        if signal == SIGKILL { kill(pid, SIGKILL) }
    }

    // MARK: - Stream events (on the event loop)

    fileprivate func status(_ text: String) {
        state.withLock { state in
            state.statusText += text
            for line in state.statusText.split(separator: "\n", omittingEmptySubsequences: true) {
                if let value = Self.number(after: "\"child-pid\":", in: line) { state.childPID = pid_t(value) }
                if let value = Self.number(after: "\"exit-code\":", in: line) { state.exitCode = Int32(value) }
            }
            if let last = state.statusText.lastIndex(of: "\n") {
                state.statusText = String(state.statusText[state.statusText.index(after: last)...])
            }
        }
    }

    fileprivate func stderrLine(_ line: String) {
        state.withLock { $0.lastError = line }
    }

    private static func number(after key: String, in line: Substring) -> Int? {
        guard let range = line.range(of: key) else { return nil }
        let digits = line[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber || $0 == "-" }
        return Int(digits)
    }

    fileprivate func streamEnded(loop: any EventLoop) {
        let done = state.withLock { state -> Bool in
            state.openStreams -= 1
            return state.openStreams == 0
        }
        if done {
            close(logDescriptor)
            reap(loop: loop, attempt: 0)
        }
    }

    /// Collects bwrap's exit status (it exits right after its pipes close) and reports the outcome.
    private func reap(loop: any EventLoop, attempt: Int) {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == 0 && attempt < 200 {
            loop.scheduleTask(in: .milliseconds(Int64(min(1 + attempt, 50)))) {
                self.reap(loop: loop, attempt: attempt + 1)
            }
            return
        }
        let bwrapCode: Int32
        if result == pid {
            bwrapCode = Spawn.exitCode(ofWaitStatus: status)
        } else {
            bwrapCode = 137
        }
        let outcome = state.withLock { state -> Outcome in
            state.exited = true
            let started = state.childPID > 0
            return Outcome(exitCode: state.exitCode ?? bwrapCode, started: started, lastError: state.lastError)
        }
        onExit(outcome)
    }
}

/// Turns a container's output into CRI log lines, timestamped as they are read.
private final class LogWriter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    /// Lines longer than this are split into partial entries.
    static let maximumLine = 16 * 1024

    let process: ContainerProcess
    let stream: CRILogLine.Stream
    let descriptor: Int32
    /// Only touched on the channel's event loop.
    private let pending = Mutex<[UInt8]>([])

    init(process: ContainerProcess, stream: CRILogLine.Stream, descriptor: Int32) {
        self.process = process
        self.stream = stream
        self.descriptor = descriptor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = CRILogLine.now()
        var entries: [CRILogLine] = []
        pending.withLock { pending in
            pending += buffer.readableBytesView
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                entries.append(line(pending[start..<newline], partial: false, now: now))
                start = newline + 1
            }
            pending.removeFirst(start)
            while pending.count >= Self.maximumLine {
                entries.append(line(pending[0..<Self.maximumLine], partial: true, now: now))
                pending.removeFirst(Self.maximumLine)
            }
        }
        append(entries)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let rest = pending.withLock { pending -> [UInt8] in
            defer { pending = [] }
            return pending
        }
        if !rest.isEmpty { append([line(rest[...], partial: false, now: CRILogLine.now())]) }
        process.streamEnded(loop: context.eventLoop)
        context.fireChannelInactive()
    }

    private func line(_ bytes: ArraySlice<UInt8>, partial: Bool, now: Int64) -> CRILogLine {
        var content = String(decoding: bytes, as: UTF8.self)
        if content.hasSuffix("\r") { content.removeLast() }
        if stream == .stderr && !partial { process.stderrLine(content) }
        return CRILogLine(nanoseconds: now, stream: stream, partial: partial, content: content)
    }

    private func append(_ entries: [CRILogLine]) {
        guard !entries.isEmpty else { return }
        let bytes = Array(entries.map(\.encoded).joined().utf8)
        bytes.withUnsafeBytes { Spawn.writeAll(descriptor, $0) }
    }
}

/// Reads bwrap's `--json-status-fd` documents.
private final class StatusReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let process: ContainerProcess

    init(process: ContainerProcess) {
        self.process = process
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        process.status(String(buffer: buffer).replacingOccurrences(of: "}", with: "}\n"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        process.streamEnded(loop: context.eventLoop)
        context.fireChannelInactive()
    }
}
