import Foundation

/// The `bwrap` command line that runs one container: its own mount and PID namespaces, the host's files
/// read-only, a private writable `/tmp` (a host folder, so that `kubectl exec` can rebuild the same view with a
/// second `bwrap`), the pod's volumes at their mount paths, and the container's user.
///
/// The root is a tmpfs holding read-only binds of the host's top-level entries; where a mount path does not
/// exist on the host, the folders on its way are rebuilt the same way (a folder holding read-only binds of the
/// host folder's entries), so the mount point can be created; the root is made read-only at the end.
struct BubblewrapCommand: Sendable, Equatable {
    /// A volume at a mount path.
    struct Mount: Sendable, Equatable {
        /// Host path of the volume (or of its `subPath`).
        var source: String
        /// Path in the container.
        var target: String
        var readOnly: Bool
    }

    /// Path of the `bwrap` program.
    var bwrap: String
    var mounts: [Mount]
    /// Host folder mounted at `/tmp`.
    var temporaryFolder: String
    /// Host folders to hide behind an empty tmpfs (the sandbox's own data).
    var hidden: [String]
    var workingDirectory: String?
    /// `runAsUser` / `runAsGroup`, when set.
    var user: (uid: UInt32, gid: UInt32)?
    /// The sandbox runs as root: capabilities are cut to a container runtime's default set and the user is
    /// changed with `setpriv` (an unprivileged sandbox maps the user in a user namespace instead).
    var privileged: Bool
    /// `--as-pid-1 --die-with-parent` for a container's main process; an exec'd process gets bwrap's own init.
    var mainProcess: Bool
    /// Where the status JSON goes (`--json-status-fd`), if anywhere.
    var statusDescriptor: Int32?
    /// The command as the container sees it.
    var command: [String]
    /// The host name the container sees (its own UTS namespace): the pod's name, as a kubelet sets it.
    var hostname: String? = nil

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.arguments() == rhs.arguments() && lhs.bwrap == rhs.bwrap
    }

    /// The capabilities a container gets from containerd's default spec.
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// The arguments after `bwrap`.
    func arguments() -> [String] {
        var arguments: [String] = ["--unshare-pid", "--unshare-ipc"]
        if let hostname, !hostname.isEmpty { arguments += ["--unshare-uts", "--hostname", hostname] }
        if mainProcess { arguments += ["--as-pid-1", "--die-with-parent"] }
        if let statusDescriptor { arguments += ["--json-status-fd", String(statusDescriptor)] }
        if privileged {
            arguments += ["--cap-drop", "ALL"]
            for capability in Self.defaultCapabilities { arguments += ["--cap-add", capability] }
        } else if let user {
            arguments += ["--unshare-user", "--uid", String(user.uid), "--gid", String(user.gid)]
        }
        let resolved = mounts.map { Mount(source: $0.source, target: Self.canonical($0.target), readOnly: $0.readOnly) }
        arguments += Self.rootLayout(targets: resolved.map(\.target))
        arguments += ["--dev", "/dev", "--proc", "/proc", "--bind", temporaryFolder, "/tmp"]
        for folder in hidden where !Self.isWithin(folder, "/tmp") { arguments += ["--tmpfs", folder] }
        let ordered = resolved.enumerated().sorted { a, b in
            let depthA = a.element.target.split(separator: "/").count
            let depthB = b.element.target.split(separator: "/").count
            return depthA != depthB ? depthA < depthB : a.offset < b.offset
        }
        // Folders on the way to a mount point that exist neither on the host nor as another mount: made 0755 as a
        // container runtime makes them (bwrap would make them 0700, closed to a container's non-root user).
        var made: Set<String> = []
        let targets = Set(resolved.map(\.target))
        for (_, mount) in ordered {
            var path = ""
            for component in mount.target.split(separator: "/").dropLast() {
                path += "/" + component
                guard !made.contains(path), !targets.contains(path), !Self.exists(path) else { continue }
                made.insert(path)
                arguments += ["--dir", path]
            }
            arguments += [mount.readOnly ? "--ro-bind" : "--bind", mount.source, mount.target]
        }
        arguments += ["--remount-ro", "/"]
        if let workingDirectory { arguments += ["--chdir", workingDirectory] }
        arguments.append("--")
        if privileged, let user {
            arguments += ["setpriv", "--reuid", String(user.uid), "--regid", String(user.gid), "--clear-groups", "--"]
        }
        return arguments + command
    }

    /// The tmpfs root's contents: read-only binds of the host's entries, with the folders on the way to a
    /// mount point that does not exist on the host rebuilt as folders of binds.
    static func rootLayout(targets: [String]) -> [String] {
        var split: Set<String> = ["/"]
        for target in targets {
            let components = canonical(target).split(separator: "/").map(String.init)
            var path = ""
            var ancestors: [String] = ["/"]
            for component in components {
                let next = path + "/" + component
                if !exists(next) {
                    split.formUnion(ancestors)
                    break
                }
                path = next
                ancestors.append(path)
            }
        }
        var arguments: [String] = []
        func emit(_ folder: String) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.sorted() ?? []
            for entry in entries {
                let path = folder == "/" ? "/" + entry : folder + "/" + entry
                if folder == "/" && ["proc", "dev", "tmp"].contains(entry) { continue }
                if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    arguments += ["--symlink", destination, path]
                } else if split.contains(path) {
                    arguments += ["--dir", path]
                    emit(path)
                } else {
                    arguments += ["--ro-bind", path, path]
                }
            }
        }
        emit("/")
        return arguments
    }

    /// `path` with the symbolic links of its existing part resolved (as the container will see it).
    static func canonical(_ path: String) -> String {
        var resolved = ""
        var remaining = path.split(separator: "/").map(String.init)
        var hops = 0
        while !remaining.isEmpty {
            let component = remaining.removeFirst()
            if component == "." { continue }
            if component == ".." {
                resolved = (resolved as NSString).deletingLastPathComponent
                if resolved == "/" { resolved = "" }
                continue
            }
            let next = resolved + "/" + component
            if hops < 32, let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: next) {
                hops += 1
                if destination.hasPrefix("/") { resolved = "" }
                remaining = destination.split(separator: "/").map(String.init) + remaining
                continue
            }
            resolved = next
        }
        return resolved.isEmpty ? "/" : resolved
    }

    static func exists(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)) != nil
    }

    static func isWithin(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    /// Where a path of the container lies on the host: under a mount's source, the private `/tmp`, or the
    /// host's own file.
    func hostPath(of path: String) -> String {
        let best = mounts.filter { Self.isWithin(path, $0.target) }.max { $0.target.count < $1.target.count }
        if let best {
            return best.source + path.dropFirst(best.target.count)
        }
        if Self.isWithin(path, "/tmp") { return temporaryFolder + path.dropFirst(4) }
        return path
    }
}
