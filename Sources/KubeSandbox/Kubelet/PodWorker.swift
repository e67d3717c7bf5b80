import Foundation
import Kubernetes

/// The kubelet's loop for one pod: applies the pod's changes, its containers' exits and timers to its
/// ``PodLifecycle``, carries out the decisions (start, SIGTERM, SIGKILL after the grace period), writes the status
/// when it changed, and at the end of a deletion removes the pod from the API and its folders from the node.
struct PodWorker: Sendable {
    /// What the worker reacts to.
    enum Input: Sendable {
        /// The pod as stored now.
        case pod(JSONValue)
        /// A run of a container ended.
        case exited(container: String, run: Int, outcome: ContainerProcess.Outcome)
        /// A timer (back-off or grace period) is due.
        case wake
        /// The sandbox stops.
        case shutdown
        /// The pod is gone from the API.
        case removed
    }

    let kubelet: Kubelet
    let key: ObjectKey
    let uid: String
    let node: String
    let inputs: AsyncStream<Input>
    let continuation: AsyncStream<Input>.Continuation

    /// The worker's mutable state (one loop owns it).
    private struct Run {
        var pod: JSONValue = .null
        var machine: PodLifecycle?
        var processes: [String: Running] = [:]
        var runs = 0
        var signalled: Set<String> = []
        var killAt: Date?
        /// SIGKILL went out (to every process left: nothing starts once stopping).
        var killSent = false
        var deleting = false
        var removed = false
        var shuttingDown = false
        var volumes: [String: String]?
        var wakeAt: Date?
        /// What the kubelet last wrote (its own view: phase, conditions, container states), so that it writes
        /// only when that changes.
        var written: JSONValue?
    }

    /// A running container: its run number, process, and where its termination message comes from.
    private struct Running {
        var run: Int
        var process: ContainerProcess
        var termination: TerminationMessage
        /// The run's termination-message file on the host (nil: none is bound).
        var terminationFile: URL?
        var logFile: URL
    }

    func run() async {
        var run = Run()
        await withDiscardingTaskGroup { group in
            for await input in inputs {
                let now = Date()
                handle(input, &run, now: now)
                guard var machine = run.machine else {
                    if run.removed || run.shuttingDown { break }
                    continue
                }
                for action in machine.decide(now: now) {
                    switch action {
                    case .start(let name):
                        await start(name, &machine, &run)
                    case .stop(let name):
                        guard !run.signalled.contains(name), let entry = run.processes[name] else { continue }
                        run.signalled.insert(name)
                        entry.process.signal(SIGTERM)
                    }
                }
                if let killAt = run.killAt, killAt <= now, !run.killSent {
                    run.killSent = true
                    for (_, entry) in run.processes { entry.process.signal(SIGKILL) }
                }
                run.machine = machine
                if !run.removed && !run.shuttingDown { await writeStatus(&run) }
                if machine.stopping && run.processes.isEmpty {
                    if run.deleting && !run.removed && !run.shuttingDown {
                        await kubelet.finishDeletion(key, uid: uid)
                    }
                    if !run.shuttingDown { volumes(run.pod).tearDown(namespace: key.namespace, name: key.name) }
                    break
                }
                let next = [machine.nextWakeup, run.processes.isEmpty || run.killSent ? nil : run.killAt].compactMap {
                    $0
                }.min()
                if let next, run.wakeAt.map({ next < $0 || $0 <= now }) ?? true {
                    run.wakeAt = next
                    let continuation = self.continuation
                    group.addTask {
                        try? await Task.sleep(for: .seconds(max(0, next.timeIntervalSinceNow)))
                        continuation.yield(.wake)
                    }
                }
            }
            group.cancelAll()
        }
        kubelet.workerEnded(uid: uid)
    }

    private func handle(_ input: Input, _ run: inout Run, now: Date) {
        switch input {
        case .pod(let pod):
            guard pod["metadata"]?["uid"]?.stringValue == uid else { return }
            run.pod = pod
            if run.machine == nil { run.machine = lifecycle(for: pod) }
            run.machine?.podChanged()
            if pod["metadata"]?["deletionTimestamp"].map({ !$0.isNull }) == true {
                let grace = pod["metadata"]?["deletionGracePeriodSeconds"]?.intValue ?? 30
                stop(&run, grace: .seconds(grace), now: now)
                run.deleting = true
            }
        case .exited(let name, let number, let outcome):
            guard let entry = run.processes[name], entry.run == number else { return }
            run.processes[name] = nil
            run.signalled.remove(name)
            kubelet.untrack(entry.process)
            kubelet.setView(nil, uid: uid, container: name)
            if outcome.started {
                let message = entry.termination.message(
                    file: entry.terminationFile,
                    exitCode: outcome.exitCode,
                    logFile: entry.logFile,
                    containers: Self.containerCount(of: run.pod)
                )
                run.machine?.exited(name, exitCode: outcome.exitCode, message: message, at: now)
            } else {
                run.machine?.startFailed(name, at: now, failure: .run(message: outcome.lastError ?? "bwrap failed"))
            }
        case .wake:
            run.wakeAt = nil
        case .shutdown:
            run.shuttingDown = true
            stop(&run, grace: Kubelet.shutdownGrace, now: now)
        case .removed:
            run.removed = true
            stop(&run, grace: Kubelet.minimumGrace, now: now)
        }
    }

    private func stop(_ run: inout Run, grace: Duration, now: Date) {
        if run.machine == nil { run.machine = lifecycle(for: run.pod) }
        run.machine?.stop()
        let deadline = now + grace.timeInterval
        run.killAt = run.killAt.map { min($0, deadline) } ?? deadline
    }

    private func lifecycle(for pod: JSONValue) -> PodLifecycle {
        func names(_ list: String) -> [String] {
            (pod["spec"]?[list]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        var machine = PodLifecycle(
            initContainers: names("initContainers"),
            containers: names("containers"),
            restartPolicy: PodLifecycle.RestartPolicy(rawValue: pod["spec"]?["restartPolicy"]?.stringValue ?? "")
                ?? .always,
            podDescription: "\(key.name)_\(key.namespace)(\(uid))"
        )
        // A sandbox restarted with its data: containers that ran before count their next start as a restart.
        var counts: [String: Int] = [:]
        var ran: Set<String> = []
        for list in ["containerStatuses", "initContainerStatuses"] {
            for status in pod["status"]?[list]?.arrayValue ?? [] {
                guard let name = status["name"]?.stringValue else { continue }
                counts[name] = Int(status["restartCount"]?.intValue ?? 0)
                if status["state"]?["running"] != nil || status["state"]?["terminated"] != nil
                    || status["lastState"]?["terminated"] != nil
                {
                    ran.insert(name)
                }
            }
        }
        machine.resume(restartCounts: counts, ran: ran)
        return machine
    }

    func volumes(_ pod: JSONValue) -> PodVolumes {
        let kubelet = self.kubelet
        let namespace = key.namespace
        return PodVolumes(
            root: kubelet.core.volumesRoot,
            node: node,
            pod: pod,
            lookup: { kind, name in kubelet.object(kind, namespace: namespace, name: name) },
            claimFolder: { claim in
                guard let pvc = kubelet.object("persistentvolumeclaims", namespace: namespace, name: claim),
                    pvc["status"]?["phase"]?.stringValue == "Bound",
                    let volume = pvc["spec"]?["volumeName"]?.stringValue, !volume.isEmpty
                else { return nil }
                return (volume, kubelet.core.volumesRoot.appendingPathComponent("volumes/\(volume)"))
            },
            token: kubelet.core.token,
            sharedHostPaths: kubelet.core.configuration.sharedHostPaths
        )
    }

    // MARK: - Starting a container

    private func start(_ name: String, _ machine: inout PodLifecycle, _ run: inout Run) async {
        let now = Date()
        var launch: ContainerLaunch
        do {
            if run.volumes == nil { run.volumes = try volumes(run.pod).setUp() }
            launch = try ContainerLaunch.prepare(
                container: name,
                pod: run.pod,
                volumes: run.volumes ?? [:],
                kubelet: kubelet,
                podFolder: volumes(run.pod).podFolder
            )
        } catch let failure as PodVolumes.Failure {
            machine.startFailed(
                name,
                at: now,
                failure: .configuration(reason: "ContainerCreating", message: failure.message, retryAfter: .seconds(10))
            )
            return
        } catch let failure as ContainerLaunch.Failure {
            machine.startFailed(name, at: now, failure: failure.startFailure)
            return
        } catch {
            machine.startFailed(name, at: now, failure: .run(message: "\(error)"))
            return
        }
        let restartCount = machine.nextRestartCount(of: name)
        let logFile = PodLogLayout.file(
            root: kubelet.core.volumesRoot,
            node: node,
            namespace: key.namespace,
            pod: key.name,
            uid: uid,
            container: name,
            restartCount: restartCount
        )
        Self.removeOldLogs(in: logFile.deletingLastPathComponent(), keepingFrom: restartCount - 1)
        let termination = TerminationMessage(container: Self.container(name, of: run.pod) ?? [:])
        let terminationFile = termination.prepareFile(podFolder: volumes(run.pod).podFolder, container: name)
        if let terminationFile, let path = termination.path {
            launch.command.mounts.append(.init(source: terminationFile.path, target: path, readOnly: false))
        }
        run.runs += 1
        let number = run.runs
        let continuation = self.continuation
        do {
            let process = try await ContainerProcess.start(
                executable: launch.command.bwrap,
                arguments: launch.command.arguments(),
                environment: launch.environment,
                logFile: logFile
            ) { outcome in
                continuation.yield(.exited(container: name, run: number, outcome: outcome))
            }
            kubelet.track(process)
            run.processes[name] = Running(
                run: number,
                process: process,
                termination: termination,
                terminationFile: terminationFile,
                logFile: logFile
            )
            var view = launch.command
            view.mainProcess = false
            view.statusDescriptor = nil
            kubelet.setView(Kubelet.ExecView(command: view, environment: launch.environment), uid: uid, container: name)
            let id = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
            machine.started(name, at: now, containerID: "sandbox://\(id)")
        } catch {
            machine.startFailed(name, at: now, failure: .run(message: "cannot start bwrap: \(error)"))
        }
    }

    /// The container (or init container) `name` of a pod.
    static func container(_ name: String, of pod: JSONValue) -> JSONValue? {
        let spec = pod["spec"]
        return ((spec?["initContainers"]?.arrayValue ?? []) + (spec?["containers"]?.arrayValue ?? []))
            .first { $0["name"]?.stringValue == name }
    }

    /// How many containers and init containers a pod has (they share the pod's termination-message bytes).
    static func containerCount(of pod: JSONValue) -> Int {
        (pod["spec"]?["containers"]?.arrayValue?.count ?? 0) + (pod["spec"]?["initContainers"]?.arrayValue?.count ?? 0)
    }

    /// Keeps the log files of the current and the previous run.
    static func removeOldLogs(in folder: URL, keepingFrom oldest: Int) {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for file in files {
            guard file.hasSuffix(".log"), let number = Int(file.dropLast(4)), number < oldest else { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(file))
        }
    }

    // MARK: - Status

    private func writeStatus(_ run: inout Run) async {
        guard let machine = run.machine else { return }
        let pod = run.pod
        let view: JSONValue = [
            "phase": .string(machine.phase),
            "conditions": .array(
                machine.conditions.map { [.string($0.type), .bool($0.status), .string($0.reason ?? "")] }
            ),
            "containers": .array(
                machine.statuses(init: false, images: [:]) + machine.statuses(init: true, images: [:])
            ),
        ]
        if run.written == view { return }
        run.written = view
        var images: [String: String] = [:]
        for list in ["containers", "initContainers"] {
            for container in pod["spec"]?[list]?.arrayValue ?? [] {
                if let name = container["name"]?.stringValue { images[name] = container["image"]?.stringValue ?? "" }
            }
        }
        let octets = uid.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF }
        let computedIP = "10.244.\(octets % 250).\((octets / 250) % 250 + 2)"
        let now = SandboxCore.timestamp()
        let hasInit = !(pod["spec"]?["initContainers"]?.arrayValue ?? []).isEmpty
        await kubelet.editStatus(key, uid: uid) { object in
            var status = object["status"]?.objectValue ?? [:]
            let previous = status["conditions"]?.arrayValue ?? []
            func condition(_ type: String, _ value: Bool, _ reason: String?, _ message: String?) -> JSONValue {
                let old = previous.first { $0["type"]?.stringValue == type }
                let text = value ? "True" : "False"
                var entry: JSONObject = [
                    "type": .string(type), "status": .string(text), "lastProbeTime": nil,
                    "lastTransitionTime": old?["status"]?.stringValue == text
                        ? (old?["lastTransitionTime"] ?? .string(now)) : .string(now),
                ]
                if let reason { entry["reason"] = .string(reason) }
                if let message { entry["message"] = .string(message) }
                return .object(entry)
            }
            let owned = Set(machine.conditions.map(\.type) + ["PodScheduled"])
            var conditions = previous.filter { !owned.contains($0["type"]?.stringValue ?? "") }
            conditions += machine.conditions.map { condition($0.type, $0.status, $0.reason, $0.message) }
            conditions.append(condition("PodScheduled", true, nil, nil))
            status["conditions"] = .array(conditions)
            status["phase"] = .string(machine.phase)
            status["hostIP"] = "127.0.0.1"
            status["hostIPs"] = [["ip": "127.0.0.1"]]
            let podIP = status["podIP"]?.stringValue ?? computedIP
            status["podIP"] = .string(podIP)
            status["podIPs"] = [["ip": .string(podIP)]]
            if status["startTime"] == nil { status["startTime"] = .string(now) }
            status["containerStatuses"] = .array(machine.statuses(init: false, images: images))
            if hasInit { status["initContainerStatuses"] = .array(machine.statuses(init: true, images: images)) }
            if status["qosClass"] == nil { status["qosClass"] = "BestEffort" }
            object["status"] = .object(status)
        }
    }
}

extension PodLifecycle {
    /// The restart count the next run of `name` will have (its log file's number).
    func nextRestartCount(of name: String) -> Int {
        guard let container = self[name] else { return 0 }
        return container.runs > 0 || container.lastTerminated != nil
            ? container.restartCount + 1 : container.restartCount
    }
}
