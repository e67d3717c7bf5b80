import Foundation
import Kubernetes
import Logging
import ServiceLifecycle
import Synchronization

/// The node stand-ins' kubelet: runs each scheduled pod's containers as host processes isolated by
/// bubblewrap (``BubblewrapCommand``), one ``PodWorker`` per pod deciding with ``PodLifecycle``, and gives the
/// API's `pods/exec` the way into a running container (``ContainerExecHost``).
///
/// The cluster controller hands it every scheduled pod (``sync(_:deleting:)``) and every removed one
/// (``removed(_:)``). On graceful shutdown every container gets SIGTERM, then SIGKILL after
/// ``shutdownGrace``; nothing it started outlives it (bwrap's `--die-with-parent` covers a killed sandbox).
final class Kubelet: Service, ContainerExecHost {
    /// How long containers get between SIGTERM and SIGKILL when the sandbox stops.
    static let shutdownGrace: Duration = .seconds(1)
    /// The shortest grace a pod removed from the API (force deletion) gets.
    static let minimumGrace: Duration = .seconds(2)

    /// Whether containers can run here, and why not.
    enum Isolation: Sendable, Equatable {
        case available(bwrap: String)
        case unavailable(String)
    }

    /// A running container as `kubectl exec` enters it.
    struct ExecView: Sendable {
        var command: BubblewrapCommand
        var environment: [String: String]
    }

    private struct State {
        var workers: [String: AsyncStream<PodWorker.Input>.Continuation] = [:]
        var running = true
        var isolation: Isolation?
        var views: [String: [String: ExecView]] = [:]
        var processes: [pid_t: ContainerProcess] = [:]
        var certificateAuthority = ""
    }

    let core: SandboxCore
    let images: ImageMapping
    private let state = Mutex(State())
    private let starts: AsyncStream<PodWorker>
    private let startsContinuation: AsyncStream<PodWorker>.Continuation

    init(core: SandboxCore) {
        self.core = core
        images = ImageMapping(core.configuration.imageCommands)
        (starts, startsContinuation) = AsyncStream.makeStream(of: PodWorker.self)
    }

    /// The CA of the API server's certificate (PEM), for the service account folder containers get.
    var certificateAuthority: String {
        get { state.withLock { $0.certificateAuthority } }
        set { state.withLock { $0.certificateAuthority = newValue } }
    }

    var isolation: Isolation { state.withLock { $0.isolation } ?? .unavailable("the kubelet has not started") }

    func run() async throws {
        let isolation = Self.checkIsolation()
        state.withLock { $0.isolation = isolation }
        switch isolation {
        case .available: core.containers.install(self)
        case .unavailable(let reason):
            core.logger.info("containers will not run", metadata: ["reason": "\(reason)"])
        }
        let starts = self.starts
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await worker in starts {
                    group.addTask { await worker.run() }
                }
            }
        } onGracefulShutdown: {
            self.shutdownAll()
        }
        core.containers.install(nil)
        let leftovers = state.withLock { state in
            state.running = false
            return Array(state.processes.values)
        }
        for process in leftovers { process.signal(SIGKILL) }
    }

    // MARK: - Pods from the cluster controller

    /// A scheduled pod changed (or is being deleted): hands it to its worker, starting one when needed.
    func sync(_ pod: JSONValue, deleting: Bool) {
        guard let uid = pod["metadata"]?["uid"]?.stringValue, let name = pod["metadata"]?["name"]?.stringValue,
            let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty
        else { return }
        let phase = pod["status"]?["phase"]?.stringValue
        let terminal = phase == "Succeeded" || phase == "Failed"
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? ""
        let worker = state.withLock { state -> PodWorker? in
            guard state.running else { return nil }
            if let existing = state.workers[uid] {
                existing.yield(.pod(pod))
                return nil
            }
            if terminal && !deleting { return nil }
            let (inputs, continuation) = AsyncStream.makeStream(of: PodWorker.Input.self)
            state.workers[uid] = continuation
            continuation.yield(.pod(pod))
            return PodWorker(
                kubelet: self,
                key: ObjectKey(namespace: namespace, name: name),
                uid: uid,
                node: node,
                inputs: inputs,
                continuation: continuation
            )
        }
        if let worker { startsContinuation.yield(worker) }
    }

    /// The pod is gone from the API: its containers are stopped and its folders removed.
    func removed(_ pod: JSONValue) {
        guard let uid = pod["metadata"]?["uid"]?.stringValue else { return }
        let handled = state.withLock { $0.workers[uid]?.yield(.removed) != nil }
        guard !handled, let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty else { return }
        let volumes = PodVolumes(
            root: core.volumesRoot,
            node: node,
            pod: pod,
            lookup: { _, _ in nil },
            claimFolder: { _ in nil },
            token: ""
        )
        volumes.tearDown(
            namespace: pod["metadata"]?["namespace"]?.stringValue ?? "",
            name: pod["metadata"]?["name"]?.stringValue ?? ""
        )
    }

    /// Called by a worker that ended.
    func workerEnded(uid: String) {
        state.withLock { state in
            state.workers[uid]?.finish()
            state.workers[uid] = nil
            state.views[uid] = nil
        }
    }

    private func shutdownAll() {
        let workers = state.withLock { state in
            state.running = false
            return Array(state.workers.values)
        }
        for worker in workers { worker.yield(.shutdown) }
        startsContinuation.finish()
    }

    // MARK: - Processes and exec views

    func track(_ process: ContainerProcess) {
        state.withLock { $0.processes[process.pid] = process }
    }

    func untrack(_ process: ContainerProcess) {
        _ = state.withLock { $0.processes.removeValue(forKey: process.pid) }
    }

    func setView(_ view: ExecView?, uid: String, container: String) {
        state.withLock { $0.views[uid, default: [:]][container] = view }
    }

    func execInvocation(
        pod key: ObjectKey,
        uid: String,
        container: String,
        command: [String]
    ) async throws(ContainerAccessError) -> ProcessInvocation {
        if let view = state.withLock({ $0.views[uid]?[container] }) {
            var invocation = view.command
            invocation.command = command
            return ProcessInvocation(
                executable: invocation.bwrap,
                arguments: invocation.arguments(),
                environment: view.environment,
                workingDirectory: "/"
            )
        }
        let pod = object("pods", namespace: key.namespace, name: key.name)
        let names = ["containers", "initContainers", "ephemeralContainers"].flatMap { list in
            (pod?["spec"]?[list]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        guard names.contains(container) else { throw .containerNotFound(container: container) }
        throw .containerNotRunning(container: container)
    }

    // MARK: - API access

    /// An object of a core/v1 collection (`pods`, `configmaps`, `secrets`, ...), decoded.
    func object(_ storageKey: String, namespace: String, name: String) -> JSONValue? {
        guard let type = core.type(storageKey: storageKey),
            let stored = core.store.get(storageKey, ObjectKey(namespace: namespace, name: name))
        else { return nil }
        return try? stored.decode(type)
    }

    /// Replaces the pod's status (through `/status`, as the kubelet does) when `change` changes it and the pod is
    /// still the one with `uid`; retries on conflicts.
    func editStatus(_ key: ObjectKey, uid: String, _ change: (inout JSONValue) -> Void) async {
        for _ in 0..<5 {
            guard let type = core.type(storageKey: "pods"), let stored = core.store.get("pods", key),
                stored.uid == uid, let object = try? stored.decode(type)
            else { return }
            var changed = object
            change(&changed)
            if SandboxCore.sameContent(object, changed) { return }
            do {
                if try await core.replace(
                    type,
                    key,
                    existing: stored,
                    old: object,
                    new: changed,
                    subresource: "status",
                    expected: stored.resourceVersion,
                    options: WriteOptions(fieldManager: "kubelet"),
                    operation: "Update"
                ) != nil {
                    return
                }
            } catch {
                core.logger.debug("kubelet status write failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// Removes the pod from the API once its containers stopped (grace period 0, the pod's UID as
    /// precondition), as the kubelet does at the end of a graceful deletion.
    func finishDeletion(_ key: ObjectKey, uid: String) async {
        guard let type = core.type(storageKey: "pods") else { return }
        var options = DeleteOptions()
        options.gracePeriodSeconds = 0
        options.preconditionUID = uid
        do {
            _ = try await core.delete(type, namespace: key.namespace, name: key.name, options: options)
        } catch {
            core.logger.debug("kubelet could not remove a pod", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Isolation

    /// Finds `bwrap` and checks once that it can make mount and PID namespaces here.
    static func checkIsolation() -> Isolation {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        guard
            let bwrap = (path.split(separator: ":").map { "\($0)/bwrap" } + ["/usr/bin/bwrap"]).first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            return .unavailable(
                "bubblewrap (bwrap) is not installed: containers need it for their mount namespace "
                    + "(apt-get install bubblewrap)"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bwrap)
        process.arguments = ["--unshare-pid", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .unavailable("cannot run \(bwrap): \(error)")
        }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return .unavailable(
                "mount namespaces are not available here (bwrap: \(message)); the sandbox does not run "
                    + "containers without isolation"
            )
        }
        return .available(bwrap: bwrap)
    }
}
