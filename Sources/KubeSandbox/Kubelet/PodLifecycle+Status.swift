import Foundation
import Kubernetes

extension PodLifecycle {
    /// The pod's phase, computed as the kubelet's `getPhase` does from the container states.
    var phase: String {
        var pendingInitialization = 0
        var failedInitialization = 0
        for container in containers where container.isInit {
            switch container.state {
            case .running: pendingInitialization += 1
            case .terminated(let end): if end.exitCode != 0 { failedInitialization += 1 }
            case .waiting:
                if let last = container.lastTerminated {
                    if last.exitCode != 0 { failedInitialization += 1 }
                } else {
                    pendingInitialization += 1
                }
            }
        }
        var running = 0
        var waiting = 0
        var stopped = 0
        var succeeded = 0
        for container in containers where !container.isInit {
            switch container.state {
            case .running: running += 1
            case .terminated(let end):
                stopped += 1
                if end.exitCode == 0 { succeeded += 1 }
            case .waiting:
                if container.lastTerminated != nil { stopped += 1 } else { waiting += 1 }
            }
        }
        if failedInitialization > 0 && restartPolicy == .never { return "Failed" }
        if pendingInitialization > 0 || failedInitialization > 0 || waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            if restartPolicy == .always { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if restartPolicy == .never { return "Failed" }
            return "Running"
        }
        return "Pending"
    }

    /// Whether the pod reached Succeeded or Failed (nothing runs again).
    var isTerminal: Bool {
        let phase = phase
        return phase == "Succeeded" || phase == "Failed"
    }

    /// The conditions the kubelet owns, as (type, status, reason, message).
    var conditions: [(type: String, status: Bool, reason: String?, message: String?)] {
        let pendingInit = containers.filter { $0.isInit && !$0.succeeded }.map(\.name)
        let unready = containers.filter { !$0.isInit && !$0.isRunning }.map(\.name)
        let completed = phase == "Succeeded"
        let initialized: (String, Bool, String?, String?) =
            pendingInit.isEmpty || completed
            ? ("Initialized", true, nil, nil)
            : (
                "Initialized", false, "ContainersNotInitialized",
                "containers with incomplete status: [\(pendingInit.joined(separator: " "))]"
            )
        let ready: (Bool, String?, String?) =
            if unready.isEmpty {
                (true, nil, nil)
            } else if completed {
                (false, "PodCompleted", nil)
            } else {
                (false, "ContainersNotReady", "containers with unready status: [\(unready.joined(separator: " "))]")
            }
        return [
            ("PodReadyToStartContainers", !isTerminal, nil, nil),
            initialized,
            ("Ready", ready.0, ready.1, ready.2),
            ("ContainersReady", ready.0, ready.1, ready.2),
        ]
    }

    /// `containerStatuses` (app containers) or `initContainerStatuses` as JSON.
    func statuses(init isInit: Bool, images: [String: String]) -> [JSONValue] {
        containers.filter { $0.isInit == isInit }.map { container in
            var status: JSONObject = [
                "name": .string(container.name),
                "image": .string(images[container.name] ?? ""),
                "imageID": "",
                "ready": .bool(container.isRunning),
                "restartCount": .int(Int64(container.restartCount)),
                "started": .bool(container.isRunning),
                "state": Self.json(container.state),
                "lastState": container.lastTerminated.map { end -> JSONValue in ["terminated": Self.json(end)] } ?? [:],
            ]
            switch container.state {
            case .running(_, let id): status["containerID"] = .string(id)
            case .terminated(let end): if let id = end.containerID { status["containerID"] = .string(id) }
            case .waiting: break
            }
            return .object(status)
        }
    }

    static func json(_ state: State) -> JSONValue {
        switch state {
        case .waiting(let reason, let message):
            var waiting: JSONObject = ["reason": .string(reason)]
            if let message { waiting["message"] = .string(message) }
            return ["waiting": .object(waiting)]
        case .running(let startedAt, _):
            return ["running": ["startedAt": .string(SandboxCore.timestamp(startedAt))]]
        case .terminated(let end):
            return ["terminated": json(end)]
        }
    }

    static func json(_ end: Terminated) -> JSONValue {
        var terminated: JSONObject = [
            "exitCode": .int(Int64(end.exitCode)),
            "reason": .string(end.reason),
            "finishedAt": .string(SandboxCore.timestamp(end.finishedAt)),
            "startedAt": end.startedAt.map { JSONValue.string(SandboxCore.timestamp($0)) } ?? .null,
        ]
        if let message = end.message { terminated["message"] = .string(message) }
        if let id = end.containerID { terminated["containerID"] = .string(id) }
        return .object(terminated)
    }
}
