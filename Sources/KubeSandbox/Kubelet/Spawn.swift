import Foundation
import Glibc

/// Starting host processes with `posix_spawn` (containers and `kubectl exec` commands alike), not with
/// Foundation's `Process`, which crashes when the sandbox holds descriptors numbered above about 1300 (hundreds of
/// running pods) and cannot start a child in a process group of its own.
enum Spawn {
    /// What one of the child's descriptors is.
    enum Source: Sendable {
        /// `/dev/null`, opened with `flags`.
        case null(flags: Int32)
        /// A copy of this descriptor of the sandbox (a pipe's child end).
        case descriptor(Int32)
    }

    /// A pipe whose ends are closed on exec (the child gets its end through ``Source/descriptor(_:)``).
    static func pipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard Glibc.pipe(&descriptors) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        // (Any descriptor a concurrent spawn could inherit in between is closed by its close-from action.)
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }

    /// Starts `executable` with exactly `environment`, the given descriptors and nothing else the sandbox has open,
    /// default signal dispositions, an empty signal mask, in a new process group (so the whole tree can be
    /// killed with `kill(-pid, …)`), in `workingDirectory` when given.
    /// - Returns: the child's PID (the caller reaps it).
    static func start(
        executable: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String? = nil,
        descriptors: [(child: Int32, source: Source)]
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (child, source) in descriptors {
            switch source {
            case .null(let flags):
                posix_spawn_file_actions_addopen(&actions, child, "/dev/null", flags, 0)
            case .descriptor(let descriptor):
                posix_spawn_file_actions_adddup2(&actions, descriptor, child)
            }
        }
        let highest = descriptors.map(\.child).max() ?? 2
        _ = spawnFileActionsCloseFrom(&actions, max(3, highest + 1))
        if let workingDirectory {
            _ = spawnFileActionsChangeDirectory(&actions, workingDirectory)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP)
        )
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw POSIXError(.init(rawValue: result) ?? .EIO) }
        return pid
    }

    /// Writes all of `bytes` to `descriptor` (again after EINTR or a short write); stops at the first error.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, base + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// The exit code of a `waitpid` status: the code, or 128 + the signal that ended the process.
    static func exitCode(ofWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+; Swift's Glibc module does not declare it): the child
/// closes every descriptor from `from` on, so nothing the sandbox has open leaks into a child.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnFileActionsCloseFrom(
    _ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>,
    _ from: Int32
) -> Int32

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+; not declared by Swift's Glibc module): the child changes
/// to `path` before it executes the program.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnFileActionsChangeDirectory(
    _ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>,
    _ path: UnsafePointer<CChar>
) -> Int32
