import Foundation
import KubeSandboxTesting
import Kubernetes
import Synchronization
import Testing

@testable import KubeSandbox

/// The kubelet's side of exec for tests, until the sandbox runs containers: runs the command on the host
/// (through /bin/sh, with a small PATH) for containers whose status in the store says running; a container
/// without a status or not running is refused as the kubelet refuses it.
struct HostShellExecHost: ContainerExecHost {
    let core: SandboxCore

    func execInvocation(
        pod key: ObjectKey,
        uid: String,
        container: String,
        command: [String]
    ) async throws(ContainerAccessError) -> ProcessInvocation {
        guard let type = core.registry.lookup(groupVersion: "v1", plural: "pods"),
            let stored = core.store.get(type.storageKey, key), stored.uid == uid, let pod = try? stored.decode(type),
            let status = PodStreamTarget.status(of: container, in: pod)
        else { throw .containerNotFound(container: container) }
        guard let running = status["state"]?["running"], !running.isNull else {
            throw .containerNotRunning(container: container)
        }
        return ProcessInvocation(
            executable: "/bin/sh",
            arguments: ["-c", "exec \"$@\"", "sh"] + command,
            environment: ["PATH": "/usr/bin:/bin", "HOME": "/tmp"],
            workingDirectory: "/tmp"
        )
    }
}

/// Pods whose status a test sets itself (the sandbox's stand-in kubelet only marks scheduled pods
/// Running), and their log files at the kubelet's paths.
struct PodFixture {
    let api: TestAPI
    let namespace: String
    let name: String
    var uid = ""
    var node = ""

    /// Creates the pod and waits until the stand-in kubelet marked it Running.
    static func create(
        _ api: TestAPI,
        namespace: String,
        name: String,
        containers: [String],
        initContainers: [String] = []
    ) async throws -> PodFixture {
        func specs(_ names: [String]) -> JSONValue {
            .array(names.map { ["name": .string($0), "image": "busybox", "command": ["sleep", "3600"]] })
        }
        var spec: JSONObject = ["containers": specs(containers)]
        if !initContainers.isEmpty { spec["initContainers"] = specs(initContainers) }
        try await api.create(
            "/api/v1/namespaces/\(namespace)/pods",
            ["metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": .object(spec)]
        )
        var fixture = PodFixture(api: api, namespace: namespace, name: name)
        try await waitUntil("pod \(name) scheduled and running") {
            let pod = await fixture.get()
            return pod["status"]?["phase"]?.stringValue == "Running"
        }
        let pod = await fixture.get()
        fixture.uid = pod["metadata"]?["uid"]?.stringValue ?? ""
        fixture.node = pod["spec"]?["nodeName"]?.stringValue ?? ""
        return fixture
    }

    var path: String { "/api/v1/namespaces/\(namespace)/pods/\(name)" }

    func get() async -> JSONValue {
        await api.request("GET", path).json
    }

    /// Replaces the pod's phase and container statuses through the status subresource.
    func setStatus(phase: String = "Running", containers: [JSONValue], initContainers: [JSONValue] = []) async throws {
        var pod = await get()
        pod[path: ["status", "phase"]] = .string(phase)
        pod[path: ["status", "containerStatuses"]] = .array(containers)
        if !initContainers.isEmpty { pod[path: ["status", "initContainerStatuses"]] = .array(initContainers) }
        let reply = await api.request("PUT", "\(path)/status", json: pod)
        try #require(reply.status == 200, "PUT status: \(reply.status) \(reply.text)")
    }

    /// A container status: `running`, `terminated` (with `exitCode`) or `waiting` (with `reason`).
    static func status(
        _ name: String,
        state: String,
        restartCount: Int = 0,
        reason: String = "ContainerCreating",
        exitCode: Int = 0,
        previousRun: Bool = false
    ) -> JSONValue {
        let now = CRILogLine.format(CRILogLine.now())
        let stateValue: JSONValue
        switch state {
        case "running": stateValue = ["running": ["startedAt": .string(now)]]
        case "terminated":
            stateValue = [
                "terminated": [
                    "exitCode": .int(Int64(exitCode)), "reason": exitCode == 0 ? "Completed" : "Error",
                    "startedAt": .string(now), "finishedAt": .string(now),
                ]
            ]
        default: stateValue = ["waiting": ["reason": .string(reason)]]
        }
        var status: JSONObject = [
            "name": .string(name), "ready": .bool(state == "running"), "restartCount": .int(Int64(restartCount)),
            "image": "busybox", "imageID": "", "state": stateValue,
        ]
        if previousRun {
            status["lastState"] = [
                "terminated": [
                    "exitCode": 1, "reason": "Error", "startedAt": .string(now), "finishedAt": .string(now),
                ]
            ]
        }
        return .object(status)
    }

    /// The log file of one run of a container.
    func logFile(_ container: String, run: Int = 0) -> URL {
        PodLogLayout.file(
            root: api.sandbox.volumesRoot,
            node: node,
            namespace: namespace,
            pod: name,
            uid: uid,
            container: container,
            restartCount: run
        )
    }

    /// Appends entries to the log file of one run (creating it).
    func appendLog(_ container: String, run: Int = 0, _ entries: [CRILogLine]) throws {
        let url = logFile(container, run: run)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(entries.map(\.encoded).joined().utf8))
    }

    /// Entries written `secondsAgo` seconds ago, one per text.
    static func entries(_ texts: [String], secondsAgo: Int64 = 0, stream: CRILogLine.Stream = .stdout) -> [CRILogLine] {
        let time = CRILogLine.now() - secondsAgo * 1_000_000_000
        return texts.map { CRILogLine(nanoseconds: time, stream: stream, content: $0) }
    }
}

/// Collects what a child process writes to a pipe, so a test can wait for a piece of output.
final class PipeCollector: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    init(_ pipe: Pipe) {
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                self.bytes.withLock { $0 += buffer[0..<count] }
            }
        }
        thread.start()
    }

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}

extension Process {
    /// Waits until the process exits and returns its status.
    func exitStatus() async -> Int32 {
        while isRunning {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return terminationStatus
    }
}

extension JSONValue {
    /// The compact JSON text.
    var encodedText: String { String(decoding: encoded(), as: UTF8.self) }
}
