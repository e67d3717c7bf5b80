import Foundation
import Kubernetes

/// Everything needed to start one run of a container: the `bwrap` command line and the environment, worked
/// out from the pod, its volumes on the host and the sandbox's image mapping.
///
/// The program is the container's `command` (the image's entrypoint is unknown, since the sandbox has no
/// images) unless the image is mapped to a host program (``ImageMapping``): then that program is the
/// entrypoint, replacing `command[0]` unless `command[0]` exists on the host; `args` follow.
struct ContainerLaunch: Sendable {
    var command: BubblewrapCommand
    var environment: [String: String]

    /// Why a container cannot start, as the kubelet reports it.
    struct Failure: Error {
        var startFailure: PodLifecycle.StartFailure
    }

    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    static func prepare(
        container name: String,
        pod: JSONValue,
        volumes: [String: String],
        kubelet: Kubelet,
        podFolder: URL
    ) throws(Failure) -> ContainerLaunch {
        let spec = pod["spec"]
        guard
            let container = ((spec?["initContainers"]?.arrayValue ?? []) + (spec?["containers"]?.arrayValue ?? []))
                .first(where: { $0["name"]?.stringValue == name })
        else {
            throw Failure(
                startFailure: .configuration(
                    reason: "CreateContainerError",
                    message: "no container \(name)",
                    retryAfter: nil
                )
            )
        }
        guard case .available(let bwrap) = kubelet.isolation else {
            let reason: String
            if case .unavailable(let why) = kubelet.isolation { reason = why } else { reason = "" }
            throw Failure(
                startFailure: .configuration(reason: "CreateContainerError", message: reason, retryAfter: nil)
            )
        }
        let image = container["image"]?.stringValue ?? ""
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? ""
        let environment = ContainerEnvironment(pod: pod) { kind, object in
            kubelet.object(kind, namespace: namespace, name: object)
        }
        let serverPort = kubelet.core.serverAddress.split(separator: ":").last.map(String.init) ?? "443"
        var base: [(String, String)] = [
            ("PATH", defaultPath), ("HOSTNAME", pod["metadata"]?["name"]?.stringValue ?? ""),
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1"), ("KUBERNETES_SERVICE_PORT", serverPort),
        ]
        let user = Self.user(container: container, pod: pod)
        base.append(("HOME", (user?.uid ?? getuid()) == 0 ? "/root" : "/"))
        let variables: [(String, String)]
        do {
            variables = try environment.variables(for: container, base: base)
        } catch {
            throw Failure(
                startFailure: .configuration(
                    reason: "CreateContainerConfigError",
                    message: error.message,
                    retryAfter: .seconds(10)
                )
            )
        }
        let known = Dictionary(variables, uniquingKeysWith: { _, last in last })
        let command = (container["command"]?.arrayValue ?? []).compactMap(\.stringValue)
            .map { ContainerEnvironment.expand($0, known) }
        let args = (container["args"]?.arrayValue ?? []).compactMap(\.stringValue)
            .map { ContainerEnvironment.expand($0, known) }

        var mounts: [BubblewrapCommand.Mount] = []
        for mount in container["volumeMounts"]?.arrayValue ?? [] {
            guard let volume = mount["name"]?.stringValue, let target = mount["mountPath"]?.stringValue else {
                continue
            }
            guard var source = volumes[volume] else {
                throw Failure(
                    startFailure: .configuration(
                        reason: "CreateContainerConfigError",
                        message: "cannot find volume \"\(volume)\" to mount into container \"\(name)\"",
                        retryAfter: nil
                    )
                )
            }
            var subPath = mount["subPath"]?.stringValue ?? ""
            if let expression = mount["subPathExpr"]?.stringValue {
                subPath = ContainerEnvironment.expand(expression, known)
            }
            if !subPath.isEmpty {
                guard !subPath.hasPrefix("/"), !subPath.split(separator: "/").contains("..") else {
                    throw Failure(
                        startFailure: .configuration(
                            reason: "CreateContainerConfigError",
                            message: "failed to prepare subPath for volumeMount \"\(volume)\" of container \"\(name)\"",
                            retryAfter: nil
                        )
                    )
                }
                source += "/" + subPath
                if !FileManager.default.fileExists(atPath: source) {
                    try? FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
                }
            }
            mounts.append(.init(source: source, target: target, readOnly: mount["readOnly"]?.boolValue == true))
        }

        if let account = serviceAccountFolder(pod: pod, podFolder: podFolder, kubelet: kubelet),
            !mounts.contains(where: { $0.target == serviceAccountPath })
        {
            mounts.append(.init(source: account, target: serviceAccountPath, readOnly: true))
        }
        let temporary = podFolder.appendingPathComponent("containers/\(name)/tmp", isDirectory: true)
        try? FileManager.default.removeItem(at: temporary)
        try? FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        try? FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: temporary.path)
        let root = kubelet.core.volumesRoot.resolvingSymlinksInPath().path
        var bubblewrap = BubblewrapCommand(
            bwrap: bwrap,
            mounts: mounts,
            temporaryFolder: temporary.path,
            hidden: [root],
            workingDirectory: container["workingDir"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            user: user,
            privileged: geteuid() == 0,
            mainProcess: true,
            statusDescriptor: 3,
            command: [],
            hostname: Self.hostname(ofPod: pod["metadata"]?["name"]?.stringValue ?? "")
        )
        let searchPath = known["PATH"] ?? defaultPath
        let workingDirectory = bubblewrap.workingDirectory ?? "/"
        func locate(_ program: String) -> String? {
            let candidates: [String] =
                program.contains("/")
                ? [program.hasPrefix("/") ? program : workingDirectory + "/" + program]
                : searchPath.split(separator: ":").map { "\($0)/\(program)" }
            return candidates.first { candidate in
                var isDirectory: ObjCBool = false
                let host = bubblewrap.hostPath(of: candidate)
                return FileManager.default.fileExists(atPath: host, isDirectory: &isDirectory) && !isDirectory.boolValue
                    && access(host, X_OK) == 0
            }
        }
        var argv: [String]
        if let program = kubelet.images.program(for: image) {
            // The program is the image's entrypoint: it is there even where the container's view hides the host
            // (its private /tmp, the sandbox's data folder).
            bubblewrap.mounts.append(.init(source: program, target: program, readOnly: true))
            if let first = command.first, locate(first) != nil {
                argv = command + args
            } else {
                argv = [program] + command.dropFirst() + args
            }
        } else if command.isEmpty {
            throw Failure(
                startFailure: .configuration(
                    reason: "ErrImageNeverPull",
                    message: "Container image \"\(image)\" is not present with pull policy of Never: the sandbox "
                        + "runs no images; give the container a command, or map the image to a host program "
                        + "(lifeboat sandbox serve --image-command \(ImageMapping.repository(of: image))=PATH)",
                    retryAfter: nil
                )
            )
        } else {
            argv = command + args
        }
        if let first = argv.first, locate(first) == nil {
            let detail =
                first.contains("/")
                ? "exec: \"\(first)\": stat \(first): no such file or directory"
                : "exec: \"\(first)\": executable file not found in $PATH"
            throw Failure(
                startFailure: .run(
                    message: "failed to create containerd task: failed to create shim task: OCI runtime create "
                        + "failed: runc create failed: unable to start container process: \(detail): unknown"
                )
            )
        }
        if user != nil && geteuid() == 0 && !FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            throw Failure(
                startFailure: .configuration(
                    reason: "CreateContainerError",
                    message: "runAsUser needs setpriv (util-linux) on the host",
                    retryAfter: nil
                )
            )
        }
        bubblewrap.command = argv
        return ContainerLaunch(command: bubblewrap, environment: known)
    }

    /// A pod's host name as the kubelet makes it (`truncatePodHostnameIfNeeded`): the name, cut to 63 characters
    /// without a trailing `-` or `.`.
    static func hostname(ofPod name: String) -> String {
        guard name.count > 63 else { return name }
        var cut = String(name.prefix(63))
        while cut.last == "-" || cut.last == "." { cut.removeLast() }
        return cut
    }

    /// Where in-cluster clients look for their credentials.
    static let serviceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// What the ServiceAccount admission plugin's `kube-api-access` volume holds (`token`, `ca.crt`, `namespace`),
    /// written for the pod unless `automountServiceAccountToken` is false: the token is the sandbox's one (there is
    /// no RBAC), so a Lifeboat server or node agent in a pod reaches the API with its in-cluster configuration.
    static func serviceAccountFolder(pod: JSONValue, podFolder: URL, kubelet: Kubelet) -> String? {
        guard pod["spec"]?["automountServiceAccountToken"]?.boolValue != false else { return nil }
        let folder = podFolder.appendingPathComponent("volumes/kubernetes.io~projected/kube-api-access-sandbox")
        let files = [
            ("token", kubelet.core.token), ("ca.crt", kubelet.certificateAuthority),
            ("namespace", pod["metadata"]?["namespace"]?.stringValue ?? ""),
        ]
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (file, text) in files {
                try Data(text.utf8).write(to: folder.appendingPathComponent(file))
            }
        } catch {
            return nil
        }
        return folder.path
    }

    /// `runAsUser` / `runAsGroup` of the container, else of the pod; nil when neither sets a user.
    static func user(container: JSONValue, pod: JSONValue) -> (uid: UInt32, gid: UInt32)? {
        let podContext = pod["spec"]?["securityContext"]
        let context = container["securityContext"]
        guard let uid = context?["runAsUser"]?.intValue ?? podContext?["runAsUser"]?.intValue,
            let user = UInt32(exactly: uid)
        else { return nil }
        let gid = context?["runAsGroup"]?.intValue ?? podContext?["runAsGroup"]?.intValue ?? uid
        return (user, UInt32(exactly: gid) ?? user)
    }
}
