import ArgumentParser
import Foundation
import Kubernetes
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench pods`: how fast the sandbox brings pods to Ready and what running pods cost.
///
/// Starts `lifeboat sandbox serve --nodes 3` as a child process, creates Deployments totalling `--pods` pods
/// whose container runs `sleep infinity`, and reports pods/s to Ready, the sandbox process's CPU seconds and
/// RSS, and the memory of the pod processes (the sandbox's descendants) per running pod. Then, with
/// `--idle-pods` pods running, the idle CPU (% of one core) of the sandbox and its descendants over
/// `--idle-seconds`. Targets (issue 17): ≥ 30 pods/s to Ready, ≤ 2 % of one core idle with 100 pods.
struct PodsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pods", abstract: "running pods benchmark.")

    static let deploymentsGVR = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
    static let podsGVR = GroupVersionResource(group: "", version: "v1", resource: "pods")
    static let namespace = "pods-bench"

    @Option(help: "The lifeboat executable (default: next to lifeboat-bench).")
    var lifeboat: String?

    @Option(help: "Pods in total (Ready rate, memory per pod).")
    var pods: Int = 300

    @Option(help: "Deployments the pods are spread over.")
    var deployments: Int = 10

    @Option(help: "Sandbox nodes.")
    var nodes: Int = 3

    @Option(help: "Pods left running for the idle CPU figure.")
    var idlePods: Int = 100

    @Option(help: "Seconds the idle CPU is measured over.")
    var idleSeconds: Int = 20

    @Option(help: "Seconds to wait for the pods to reach Ready (or to scale down) before giving up.")
    var timeout: Int = 300

    func validate() throws {
        guard pods > 0, deployments > 0, deployments <= pods else {
            throw ValidationError("--pods and --deployments must be positive, with no more deployments than pods")
        }
        guard (0...pods).contains(idlePods) else { throw ValidationError("--idle-pods must be in 0...--pods") }
        guard idleSeconds > 0, timeout > 0 else { throw ValidationError("--idle-seconds and --timeout must be > 0") }
    }

    func run() async throws {
        let lifeboatPath = try BenchPaths.lifeboat(lifeboat)
        let dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lifeboat-pods-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let sandbox = try SandboxChild.start(lifeboatPath, nodes: nodes, dataDirectory: dataDirectory)
        var seenDescendants: Set<Int32> = []
        do {
            var logger = Logger(label: "lifeboat.bench.pods")
            logger.logLevel = .warning
            let config = try KubeConfig.parse(yaml: try String(contentsOfFile: sandbox.kubeconfig, encoding: .utf8))
            seenDescendants = try await withKubeClient(config: config, logger: logger) { client in
                try await measure(client, sandbox: sandbox)
            }
        } catch {
            sandbox.stop()
            throw error
        }
        sandbox.stop()
        let left = seenDescendants.filter { ProcessTree.exists($0) }
        print("shutdown: \(left.count) of \(seenDescendants.count) pod processes outlived the sandbox")
    }

    /// The measurements; returns every descendant process seen (to check none outlives the sandbox).
    private func measure(_ client: KubeClient, sandbox: SandboxChild) async throws -> Set<Int32> {
        _ = try await client.create(
            .namespaces,
            KubeObject(apiVersion: "v1", kind: "Namespace", name: Self.namespace)
        )
        let sizes = (0..<deployments).map { pods / deployments + ($0 < pods % deployments ? 1 : 0) }
        let cpuBefore = ProcessTree.cpuSeconds(sandbox.pid)
        let rssBefore = ProcessTree.rssKiB(sandbox.pid)
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, size) in sizes.enumerated() {
                group.addTask {
                    _ = try await client.create(Self.deploymentsGVR, Self.deployment("sleep-\(index)", replicas: size))
                }
            }
            try await group.waitForAll()
        }
        try await waitFor("\(pods) pods Ready", client) { $0.ready == pods }
        let seconds = (ContinuousClock.now - started).inSeconds
        let cpu = ProcessTree.cpuSeconds(sandbox.pid) - cpuBefore
        let rss = ProcessTree.rssKiB(sandbox.pid)
        let descendants = ProcessTree.descendants(of: sandbox.pid)
        let podRSS = descendants.reduce(0) { $0 + ProcessTree.rssKiB($1) }
        print(
            String(
                format: "ready: %d pods (%d deployments, %d nodes) Ready in %.2fs -> %.1f pods/s (target >= 30)",
                pods,
                deployments,
                nodes,
                seconds,
                Double(pods) / seconds
            )
        )
        print(
            String(
                format:
                    "sandbox: %.2f CPU s to get there (%.1f ms per pod); RSS %.1f MiB (+%.1f MiB, %.0f KiB per pod)",
                cpu,
                cpu * 1000 / Double(pods),
                Double(rss) / 1024,
                Double(rss - rssBefore) / 1024,
                Double(rss - rssBefore) / Double(pods)
            )
        )
        if descendants.isEmpty {
            print("pod processes: none (this build does not run containers as processes)")
        } else {
            print(
                String(
                    format: "pod processes: %d, RSS %.1f MiB in all -> %.0f KiB per running pod",
                    descendants.count,
                    Double(podRSS) / 1024,
                    Double(podRSS) / Double(pods)
                )
            )
        }

        var remaining = idlePods
        for (index, size) in sizes.enumerated() {
            let target = min(size, remaining)
            remaining -= target
            _ = try await client.patch(
                Self.deploymentsGVR,
                namespace: Self.namespace,
                name: "sleep-\(index)",
                .merge(["spec": ["replicas": .int(Int64(target))]]),
                subresource: "scale"
            )
        }
        try await waitFor("\(idlePods) pods left running", client) { $0.ready == idlePods && $0.pods == idlePods }
        let idleDescendants = ProcessTree.descendants(of: sandbox.pid)
        let idleStart =
            ProcessTree.cpuSeconds(sandbox.pid) + idleDescendants.reduce(0) { $0 + ProcessTree.cpuSeconds($1) }
        try await Task.sleep(for: .seconds(idleSeconds))
        let idleEnd =
            ProcessTree.cpuSeconds(sandbox.pid) + idleDescendants.reduce(0) { $0 + ProcessTree.cpuSeconds($1) }
        print(
            String(
                format: "idle: %d pods, %.2f%% of one core over %ds (sandbox and its %d descendants; target <= 2%%)",
                idlePods,
                (idleEnd - idleStart) * 100 / Double(idleSeconds),
                idleSeconds,
                idleDescendants.count
            )
        )
        return descendants.union(idleDescendants)
    }

    /// Polls the Deployments' status (and the pod count) every 100 ms until `done`.
    private func waitFor(
        _ what: String,
        _ client: KubeClient,
        until done: (_ counts: (ready: Int, pods: Int)) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let sets = try await client.list(Self.deploymentsGVR, namespace: Self.namespace)
            let ready = sets.items.reduce(0) { $0 + Int($1.value["status"]?["readyReplicas"]?.intValue ?? 0) }
            var podCount = -1
            if ready == idlePods || ready == pods {
                podCount = try await client.list(Self.podsGVR, namespace: Self.namespace).items.count
            }
            if done((ready, podCount)) { return }
            guard ContinuousClock.now < deadline else {
                throw ValidationError("timed out after \(timeout)s waiting for \(what) (\(ready) Ready)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A Deployment of `replicas` pods whose one container runs `sleep infinity`.
    static func deployment(_ name: String, replicas: Int) -> KubeObject {
        var object = KubeObject(apiVersion: "apps/v1", kind: "Deployment", namespace: namespace, name: name)
        object.labels = ["app": name]
        object["spec"] = [
            "replicas": .int(Int64(replicas)),
            "selector": ["matchLabels": ["app": .string(name)]],
            "template": [
                "metadata": ["labels": ["app": .string(name)]],
                "spec": [
                    "terminationGracePeriodSeconds": 1,
                    "containers": [["name": "sleep", "image": "busybox:1.36", "command": ["sleep", "infinity"]]],
                ],
            ],
        ]
        return object
    }
}

/// `lifeboat sandbox serve` as a child process.
struct SandboxChild {
    let process: Process
    let kubeconfig: String
    var pid: Int32 { process.processIdentifier }

    /// Starts the sandbox and waits for its ready line (`{"server": ..., "kubeconfig": ...}`).
    ///
    /// - Parameters:
    ///   - dataDirectory: `--data-dir` (persistent state in a write-ahead log); nil keeps the state in memory.
    ///   - arguments: more options of `lifeboat sandbox serve` (e.g. `--share-host-path PATH`).
    static func start(
        _ executable: String,
        nodes: Int,
        dataDirectory: URL?,
        arguments: [String] = []
    ) throws -> SandboxChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            ["sandbox", "serve", "--port", "0", "--nodes", "\(nodes)"]
            + (dataDirectory.map { ["--data-dir", $0.path] } ?? []) + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw ValidationError(
                    "lifeboat sandbox serve exited (\(process.terminationStatus)) before it was ready"
                )
            }
            line.append(chunk)
        }
        guard let ready = try? JSONValue(parsing: String(decoding: line, as: UTF8.self)),
            let kubeconfig = ready["kubeconfig"]?.stringValue
        else {
            process.terminate()
            throw ValidationError(
                "unexpected ready line from lifeboat sandbox serve: \(String(decoding: line, as: UTF8.self))"
            )
        }
        return SandboxChild(process: process, kubeconfig: kubeconfig)
    }

    /// SIGTERM, then waits for the process to exit.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// CPU time, memory and descendants of processes, from /proc (Linux).
enum ProcessTree {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The fields of /proc/<pid>/stat after the command name (`state` is index 0, `ppid` 1, `utime` 11).
    static func statFields(_ pid: Int32) -> [Substring] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return [] }
        return text[text.index(after: end)...].split(separator: " ")
    }

    /// User plus system CPU seconds the process has used (0 when it is gone).
    static func cpuSeconds(_ pid: Int32) -> Double {
        let fields = statFields(pid)
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }

    /// VmRSS in KiB (0 when the process is gone).
    static func rssKiB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    /// Whether the process exists (and is not a zombie).
    static func exists(_ pid: Int32) -> Bool {
        let fields = statFields(pid)
        return !fields.isEmpty && fields[0] != "Z"
    }

    /// Every live descendant of `pid` (children, their children, ...).
    static func descendants(of pid: Int32) -> Set<Int32> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var children: [Int32: [Int32]] = [:]
        for entry in entries {
            guard let child = Int32(entry) else { continue }
            let fields = statFields(child)
            guard fields.count > 1, fields[0] != "Z", let parent = Int32(fields[1]) else { continue }
            children[parent, default: []].append(child)
        }
        var result: Set<Int32> = []
        var queue = [pid]
        while let next = queue.popLast() {
            for child in children[next] ?? [] where result.insert(child).inserted { queue.append(child) }
        }
        return result
    }
}
