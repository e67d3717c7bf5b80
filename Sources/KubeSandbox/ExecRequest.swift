import Foundation
import Kubernetes

/// A `pods/{name}/exec` request (core/v1 `PodExecOptions` in the query), checked as kube-apiserver and the
/// kubelet check it, down to the process to start.
struct ExecRequest: Sendable {
    /// The WebSocket subprotocols of the remote-command stream this server speaks, best first.
    static let protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    var command: [String] = []
    var container: String?
    var stdin = false
    var stdout = false
    var stderr = false
    var tty = false

    /// Parses the raw query (`command` repeats, one argument each).
    init(rawQuery: String) {
        for pair in rawQuery.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            switch key {
            case "command": command.append(value)
            case "container": container = value.isEmpty ? nil : value
            case "stdin", "input": stdin = Self.flag(value)
            case "stdout", "output": stdout = Self.flag(value)
            case "stderr", "error": stderr = Self.flag(value)
            case "tty": tty = Self.flag(value)
            default: break
            }
        }
    }

    /// The subprotocol to answer with: the first of the client's `Sec-WebSocket-Protocol` list this
    /// server speaks, or nil.
    static func negotiate(_ header: String?) -> String? {
        let offered = (header ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return offered.first { protocols.contains($0) }
    }

    /// The pod's container and the process to start in it.
    ///
    /// - Throws: the API server's errors: 404 for a missing pod; 400 `container c is not valid for pod p`;
    ///   400 `cannot exec into a container in a completed pod; current phase is Succeeded` (kubectl says so
    ///   before it asks; the sandbox answers it too); 400 `pod p does not have a host assigned`; 400 for no
    ///   command, no stream or a terminal; and the kubelet's 500 `container not found ("c")` (plain text, as
    ///   the kubelet writes it) when no process of the container runs.
    func resolve(
        core: SandboxCore,
        namespace: String,
        name: String
    ) async throws(APIStatus)
        -> (target: PodStreamTarget, invocation: ProcessInvocation)
    {
        let target = try PodStreamTarget(core: core, namespace: namespace, name: name, container: container)
        let phase = target.phase
        if phase == "Succeeded" || phase == "Failed" {
            throw APIStatus.badRequest(
                "cannot exec into a container in a completed pod; current phase is \(phase)"
            )
        }
        guard !target.node.isEmpty else { throw APIStatus.badRequest("pod \(name) does not have a host assigned") }
        guard stdin || stdout || stderr else {
            throw APIStatus.badRequest("you must specify at least 1 of stdin, stdout, stderr")
        }
        guard !command.isEmpty else { throw APIStatus.badRequest("you must specify at least 1 command") }
        guard !tty else {
            throw APIStatus.badRequest(
                "the Lifeboat sandbox cannot allocate a terminal (tty) for exec: run the command without -t"
            )
        }
        let notFound = APIStatus.containerNotFound(target.container)
        guard let host = core.containers.current else { throw notFound }
        do {
            let invocation = try await host.execInvocation(
                pod: target.key,
                uid: target.uid,
                container: target.container,
                command: command
            )
            return (target, invocation)
        } catch {
            throw notFound
        }
    }

    private static func flag(_ value: String) -> Bool {
        ["1", "t", "T", "true", "TRUE", "True"].contains(value)
    }

    private static func decode(_ text: Substring) -> String {
        let plus = text.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}

extension APIStatus {
    /// What the kubelet answers when no running container has the name: a plain-text 500, passed through by
    /// the API server (kubectl shows it as `unable to upgrade connection: container not found ("c")`).
    static func containerNotFound(_ container: String) -> APIStatus {
        var status = APIStatus(code: 500, reason: "", message: "container not found (\"\(container)\")")
        status.plainText = true
        return status
    }
}
