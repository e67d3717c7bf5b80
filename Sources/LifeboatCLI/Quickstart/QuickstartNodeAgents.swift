import BackupEngine
import Foundation
import Kubernetes

/// The node agents of the quickstart's sandbox: one `lifeboat node-agent server` process per node, started from the
/// running executable as a user starts them next to `lifeboat sandbox serve`, each logging to
/// `node-agent-<node>.log` in the work folder.
///
/// None outlives the quickstart. Each agent runs under a small `sh` watchdog whose standard input is a pipe only
/// this process can write to: when the quickstart stops them, or ends in any way (an error, Ctrl-C, even SIGKILL),
/// the pipe reaches its end and the watchdog sends the agent SIGTERM (its graceful shutdown deletes its Lease),
/// then SIGKILL if it still runs 10 s later.
///
/// ```swift
/// try await QuickstartNodeAgents.with(executable: path, kubeconfig: kc, namespace: "velero", nodes: nodes,
///                                     logFolder: root) { agents in … }
/// ```
struct QuickstartNodeAgents: Sendable {
    /// One node's agent.
    struct Agent: @unchecked Sendable {
        // `Process` and `FileHandle` are not Sendable. After `run()` the process is only asked `isRunning` and
        // `processIdentifier` (which it guards itself) and sent signals (thread-safe system calls); the pipe's write
        // end is closed once, by `stop()`, and never written to.
        var node: String
        var process: Process
        var input: FileHandle
        var log: URL
    }

    var agents: [Agent]

    /// The watchdog (`sh -c WATCHDOG watchdog EXECUTABLE ARGS…`): runs the agent, waits for the end of its input,
    /// then stops the agent (SIGTERM, SIGKILL after 10 s) and exits with its status. It ignores the terminal's
    /// SIGINT and SIGHUP (as the agent, an asynchronous list, does): Ctrl-C ends the quickstart, whose end stops it.
    static let watchdog = """
        trap '' INT HUP
        "$@" </dev/null & agent=$!
        cat >/dev/null
        kill -TERM "$agent" 2>/dev/null
        ( trap 'kill "$s" 2>/dev/null; exit 0' TERM; sleep 10 & s=$!; wait "$s"; kill -KILL "$agent" 2>/dev/null ) &
        killer=$!
        wait "$agent"; status=$?
        kill -TERM "$killer" 2>/dev/null
        exit "$status"
        """

    /// Starts one node agent per node of `nodes`, runs `body`, and stops them, also when `body` throws.
    static func with<T>(
        executable: String,
        kubeconfig: String,
        namespace: String,
        nodes: [String],
        hostPods: (String) -> String,
        logFolder: URL,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (QuickstartNodeAgents) async throws -> T
    ) async throws -> T {
        var agents = QuickstartNodeAgents(agents: [])
        do {
            for node in nodes {
                agents.agents.append(
                    try start(
                        executable: executable,
                        kubeconfig: kubeconfig,
                        namespace: namespace,
                        node: node,
                        hostPods: hostPods(node),
                        log: logFolder.appendingPathComponent("node-agent-\(node).log")
                    )
                )
            }
            let result = try await body(agents)
            await agents.stop()
            return result
        } catch {
            await agents.stop()
            throw error
        }
    }

    private static func start(
        executable: String,
        kubeconfig: String,
        namespace: String,
        node: String,
        hostPods: String,
        log: URL
    ) throws -> Agent {
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw CLIError("quickstart: cannot create the node agent's log \(log.path)")
        }
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        let pipe = Pipe()
        // The write end must not leak into other children (containers, the other agents): its end is the signal.
        _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", watchdog, "lifeboat-node-agent-watchdog", executable, "node-agent", "server",
            "--kubeconfig", kubeconfig, "--namespace", namespace, "--node-name", node,
            "--host-pods", hostPods, "--node-pods", "/var/lib/kubelet/pods",
        ]
        process.standardInput = pipe
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw CLIError("quickstart: cannot start the node agent of \(node) (\(executable)): \(error)")
        }
        try? pipe.fileHandleForReading.close()
        return Agent(node: node, process: process, input: pipe.fileHandleForWriting, log: log)
    }

    /// Waits (up to `timeout`) until a node agent serves every node (holds its Lease).
    /// - Throws: `CLIError` naming the nodes not served, with the end of their agents' logs.
    func waitUntilServing(client: KubeClient, namespace: String, timeout: Duration = .seconds(60)) async throws {
        let presence = NodeAgentPresence(client: client, namespace: namespace)
        let deadline = ContinuousClock.now + timeout
        while true {
            var waiting: [Agent] = []
            for agent in agents {
                let serving = (try? await presence.serves(node: agent.node)) ?? false
                if !serving { waiting.append(agent) }
            }
            if waiting.isEmpty { return }
            let exited = waiting.filter { !$0.process.isRunning }
            if !exited.isEmpty || ContinuousClock.now >= deadline {
                let reports = (exited.isEmpty ? waiting : exited).map { agent in
                    "node agent of \(agent.node) \(agent.process.isRunning ? "is not serving" : "exited"); "
                        + "the end of \(agent.log.path):\n" + Self.tail(of: agent.log)
                }
                throw CLIError(
                    "quickstart: the node agents did not start within \(timeout):\n" + reports.joined(separator: "\n")
                )
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Stops every agent (the end of its watchdog's input) and waits for them to exit; a watchdog still running
    /// after 15 s is killed. Not cancellable: it runs to the end also when the quickstart is being cancelled.
    func stop() async {
        guard !agents.isEmpty else { return }
        let agents = self.agents
        await Task {
            for agent in agents { try? agent.input.close() }
            let deadline = ContinuousClock.now + .seconds(15)
            while agents.contains(where: { $0.process.isRunning }), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
            }
            for agent in agents where agent.process.isRunning { kill(agent.process.processIdentifier, SIGKILL) }
        }.value
    }

    /// The last lines of a log file.
    static func tail(of file: URL, lines: Int = 15) -> String {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? "<unreadable>"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
            .map { "    " + $0 }.joined(separator: "\n")
    }
}
