import Foundation

/// The kubelet's decisions for one pod, as a pure value: which container to start or stop next, how a
/// container's exit is handled under the pod's `restartPolicy`, the restart back-off, and the statuses that
/// follow. Time is a parameter of every step, so it is tested without processes or clocks.
///
/// Init containers run one after another, each to successful completion, before the app containers start
/// together. A container that exits is restarted when the policy says so (`Always`; `OnFailure` after a
/// failure; init containers under both): the first restart at once, then after a back-off of 10 s that doubles
/// up to 5 minutes and is forgotten once a run lasted 10 minutes, showing `CrashLoopBackOff` meanwhile.
///
/// ```swift
/// var pod = PodLifecycle(initContainers: ["setup"], containers: ["app"], restartPolicy: .always)
/// pod.decide(now: now)            // [.start("setup")]
/// pod.started("setup", at: now, containerID: "sandbox://1")
/// pod.exited("setup", exitCode: 0, at: now)
/// pod.decide(now: now)            // [.start("app")]
/// ```
struct PodLifecycle: Sendable, Equatable {
    /// The pod's `spec.restartPolicy`.
    enum RestartPolicy: String, Sendable {
        case always = "Always"
        case onFailure = "OnFailure"
        case never = "Never"
    }

    /// A finished run of a container.
    struct Terminated: Sendable, Equatable {
        var exitCode: Int32
        /// `Completed`, `Error`, `StartError`, ...
        var reason: String
        var message: String?
        var startedAt: Date?
        var finishedAt: Date
        var containerID: String?
    }

    /// A container's state as `containerStatuses[].state` shows it.
    enum State: Sendable, Equatable {
        case waiting(reason: String, message: String?)
        case running(startedAt: Date, containerID: String)
        case terminated(Terminated)
    }

    /// One container's record.
    struct Container: Sendable, Equatable {
        var name: String
        var isInit: Bool
        var state: State
        var lastTerminated: Terminated?
        var restartCount = 0
        /// Runs started so far by this kubelet (a restart increments ``restartCount``).
        var runs = 0
        /// The delay before the next restart after a failure (zero: restart at once).
        var backOff: Duration = .zero
        /// Not started again before this time.
        var retryAt: Date?
        /// Waits for a change of the pod before it is tried again (an image that is not mapped, say).
        var blocked = false

        var isRunning: Bool {
            if case .running = state { return true }
            return false
        }

        var succeeded: Bool {
            if case .terminated(let end) = state { return end.exitCode == 0 }
            return false
        }
    }

    /// What the kubelet does next.
    enum Action: Sendable, Equatable {
        /// Start a run of the container.
        case start(String)
        /// Stop the container's running process (SIGTERM, SIGKILL after the grace period).
        case stop(String)
    }

    /// Why a container did not start.
    enum StartFailure: Sendable, Equatable {
        /// The container could not be configured (`CreateContainerConfigError`, `ErrImageNeverPull`, ...): it
        /// waits with `reason`; retried after `retryAfter`, or only once the pod changes when `nil`.
        case configuration(reason: String, message: String, retryAfter: Duration?)
        /// The runtime could not start the process (`StartError`, exit code 128): handled like a failed run.
        case run(message: String)
    }

    static let initialBackOff: Duration = .seconds(10)
    static let maximumBackOff: Duration = .seconds(300)
    /// A run this long forgets the back-off.
    static let backOffReset: Duration = .seconds(600)

    var restartPolicy: RestartPolicy
    /// Init containers first (in order), then app containers.
    var containers: [Container]
    /// The pod is being deleted (or the kubelet stops): nothing starts any more.
    private(set) var stopping = false
    /// The pod's display name for back-off messages (`name_namespace(uid)`).
    var podDescription: String

    init(
        initContainers: [String],
        containers: [String],
        restartPolicy: RestartPolicy,
        podDescription: String = ""
    ) {
        self.restartPolicy = restartPolicy
        self.podDescription = podDescription
        self.containers =
            initContainers.map {
                Container(name: $0, isInit: true, state: .waiting(reason: "PodInitializing", message: nil))
            }
            + containers.map {
                Container(
                    name: $0,
                    isInit: false,
                    state: .waiting(
                        reason: initContainers.isEmpty ? "ContainerCreating" : "PodInitializing",
                        message: nil
                    )
                )
            }
    }

    // MARK: - Decisions

    /// The containers to start now (and to stop, once stopping); sets the waiting reasons of those that wait.
    mutating func decide(now: Date) -> [Action] {
        if stopping { return containers.filter(\.isRunning).map { .stop($0.name) } }
        if isTerminal { return [] }
        var actions: [Action] = []
        if let index = pendingInitIndex {
            if startable(index, now: now) { actions.append(.start(containers[index].name)) }
            for app in containers.indices where !containers[app].isInit {
                if case .waiting = containers[app].state {
                    containers[app].state = .waiting(reason: "PodInitializing", message: nil)
                }
            }
            return actions
        }
        for index in containers.indices where !containers[index].isInit && startable(index, now: now) {
            actions.append(.start(containers[index].name))
        }
        return actions
    }

    /// The earliest time a waiting container may be started again (nil: none waits on time).
    var nextWakeup: Date? {
        guard !stopping, !isTerminal else { return nil }
        let candidates: [Int]
        if let index = pendingInitIndex { candidates = [index] } else { candidates = appIndices }
        return candidates.compactMap { index -> Date? in
            let container = containers[index]
            guard !container.isRunning, !container.blocked, wantsRun(index) else { return nil }
            return container.retryAt
        }.min()
    }

    /// The first init container that has not completed successfully, nil once all have.
    var pendingInitIndex: Int? {
        containers.indices.first { containers[$0].isInit && !containers[$0].succeeded }
    }

    private var appIndices: [Int] { containers.indices.filter { !containers[$0].isInit } }

    /// Whether a container that is not running should run (again) under the restart policy.
    private func wantsRun(_ index: Int) -> Bool {
        let container = containers[index]
        if container.isRunning { return false }
        guard let last = lastRun(container) else { return true }  // never ran
        if container.isInit { return last.exitCode != 0 && restartPolicy != .never }
        switch restartPolicy {
        case .always: return true
        case .onFailure: return last.exitCode != 0
        case .never: return false
        }
    }

    private func lastRun(_ container: Container) -> Terminated? {
        if case .terminated(let end) = container.state { return end }
        return container.runs > 0 || container.restartCount > 0 ? container.lastTerminated : nil
    }

    private func startable(_ index: Int, now: Date) -> Bool {
        let container = containers[index]
        guard wantsRun(index), !container.blocked else { return false }
        if let retryAt = container.retryAt, retryAt > now { return false }
        return true
    }

    // MARK: - Events

    /// A run of `name` started.
    mutating func started(_ name: String, at now: Date, containerID: String) {
        guard let index = index(of: name) else { return }
        if case .terminated(let end) = containers[index].state { containers[index].lastTerminated = end }
        if containers[index].runs > 0 || containers[index].lastTerminated != nil { containers[index].restartCount += 1 }
        containers[index].runs += 1
        containers[index].retryAt = nil
        containers[index].blocked = false
        containers[index].state = .running(startedAt: now, containerID: containerID)
    }

    /// `name` could not be started.
    mutating func startFailed(_ name: String, at now: Date, failure: StartFailure) {
        guard let index = index(of: name) else { return }
        switch failure {
        case .configuration(let reason, let message, let retryAfter):
            containers[index].state = .waiting(reason: reason, message: message)
            containers[index].retryAt = retryAfter.map { now + $0.timeInterval }
            containers[index].blocked = retryAfter == nil
        case .run(let message):
            if case .terminated(let end) = containers[index].state { containers[index].lastTerminated = end }
            if containers[index].runs > 0 || containers[index].lastTerminated != nil {
                containers[index].restartCount += 1
            }
            containers[index].runs += 1
            let end = Terminated(
                exitCode: 128,
                reason: "StartError",
                message: message,
                startedAt: nil,
                finishedAt: now,
                containerID: nil
            )
            finish(index, end, now: now, waitingReason: "RunContainerError", waitingMessage: message)
        }
    }

    /// A run of `name` ended with `exitCode` (128 + the signal when a signal ended it) and its termination
    /// `message` (``TerminationMessage``), if any.
    mutating func exited(_ name: String, exitCode: Int32, message: String? = nil, at now: Date) {
        guard let index = index(of: name), case .running(let startedAt, let id) = containers[index].state else {
            return
        }
        let end = Terminated(
            exitCode: exitCode,
            reason: exitCode == 0 ? "Completed" : "Error",
            message: message,
            startedAt: startedAt,
            finishedAt: now,
            containerID: id
        )
        if now.timeIntervalSince(startedAt) >= Self.backOffReset.timeInterval { containers[index].backOff = .zero }
        finish(index, end, now: now, waitingReason: nil, waitingMessage: nil)
    }

    /// Records the end of a run; a container that will run again waits (`CrashLoopBackOff` during a back-off).
    private mutating func finish(
        _ index: Int,
        _ end: Terminated,
        now: Date,
        waitingReason: String?,
        waitingMessage: String?
    ) {
        containers[index].state = .terminated(end)
        guard !stopping, wantsRun(index) else { return }
        containers[index].lastTerminated = end
        let backOff = containers[index].backOff
        if backOff == .zero {
            containers[index].backOff = Self.initialBackOff
            containers[index].retryAt = nil
            containers[index].state = .waiting(
                reason: waitingReason ?? "ContainerCreating",
                message: waitingMessage
            )
        } else {
            containers[index].retryAt = now + backOff.timeInterval
            containers[index].backOff = min(backOff * 2, Self.maximumBackOff)
            let seconds = Int(backOff.components.seconds)
            let shown = seconds >= 60 && seconds % 60 == 0 ? "\(seconds / 60)m0s" : "\(seconds)s"
            containers[index].state = .waiting(
                reason: "CrashLoopBackOff",
                message:
                    "back-off \(shown) restarting failed container=\(containers[index].name) pod=\(podDescription)"
            )
        }
    }

    /// Stops everything: nothing starts any more, running containers are to be stopped.
    mutating func stop() {
        stopping = true
    }

    /// The pod changed: containers that wait for a change are tried again.
    mutating func podChanged() {
        for index in containers.indices where containers[index].blocked {
            containers[index].blocked = false
            containers[index].retryAt = nil
        }
    }

    /// Carries over the restart counts a previous kubelet reported (a sandbox restarted with its data):
    /// containers that had run count their next start as a restart.
    mutating func resume(restartCounts: [String: Int], ran: Set<String>) {
        for index in containers.indices {
            let name = containers[index].name
            containers[index].restartCount = restartCounts[name] ?? 0
            if ran.contains(name) { containers[index].runs = 1 }
        }
    }

    func index(of name: String) -> Int? { containers.firstIndex { $0.name == name } }

    subscript(name: String) -> Container? { index(of: name).map { containers[$0] } }

    /// Whether every container is running or nothing is (no process of the pod left).
    var anyRunning: Bool { containers.contains(where: \.isRunning) }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
