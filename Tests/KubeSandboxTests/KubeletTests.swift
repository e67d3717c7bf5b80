import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// Whether this machine can run the sandbox's containers (bubblewrap with mount namespaces).
let containersRun: Bool = {
    if case .available = Kubelet.checkIsolation() { return true }
    return false
}()

/// The kubelet stand-in runs containers as isolated host processes, driven through the real kubectl.
@Suite(.enabled(if: containersRun, "needs bubblewrap and mount namespaces"))
struct KubeletTests {
    /// A sandbox, a kubectl for it, and a namespace `k`.
    func withCluster(
        _ body: (Sandbox, TestAPI, KubectlTests.Kubectl, URL) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory(prefix: "kubelet-test") { directory in
            let kubectl = KubectlTests.Kubectl(executable: try KubectlTests.Kubectl.locate(), directory: directory)
            try await withTestSandbox { sandbox, api in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                try await api.namespace("k")
                try await body(sandbox, api, kubectl, directory)
            }
        }
    }

    func apply(_ kubectl: KubectlTests.Kubectl, _ directory: URL, _ yaml: String) async throws {
        let file = directory.appendingPathComponent("\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        try await kubectl.run("apply", "-f", file.path)
    }

    func pod(_ api: TestAPI, _ name: String) async -> JSONValue {
        await api.request("GET", "/api/v1/namespaces/k/pods/\(name)").json
    }

    func waitForPhase(_ api: TestAPI, _ name: String, _ phase: String) async throws {
        var last: JSONValue = .null
        do {
            try await waitUntil("pod \(name) \(phase)") {
                last = await pod(api, name)
                return last["status"]?["phase"]?.stringValue == phase
            }
        } catch {
            Issue.record("pod \(name): \(last["status"] ?? .null)")
            throw error
        }
    }

    func claimFolder(_ sandbox: Sandbox, _ api: TestAPI, _ claim: String) async throws -> URL {
        let pvc = await api.request("GET", "/api/v1/namespaces/k/persistentvolumeclaims/\(claim)").json
        let volume = try #require(pvc["spec"]?["volumeName"]?.stringValue)
        return sandbox.volumesRoot.appendingPathComponent("volumes/\(volume)")
    }

    @Test func aContainerWritesTheDownwardAPIAndAConfigMapIntoItsClaimAfterItsInitContainer() async throws {
        try await withCluster { sandbox, api, kubectl, directory in
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, namespace: k}
                data: {color: blue}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: data, namespace: k}
                spec:
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 1Gi}}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: writer, namespace: k}
                spec:
                  restartPolicy: Never
                  volumes:
                  - name: data
                    persistentVolumeClaim: {claimName: data}
                  initContainers:
                  - name: setup
                    image: busybox
                    command: ["sh", "-c", "echo first > /data/init-ran"]
                    volumeMounts: [{name: data, mountPath: /data}]
                  containers:
                  - name: app
                    image: busybox
                    env:
                    - name: POD_NAME
                      valueFrom: {fieldRef: {fieldPath: metadata.name}}
                    - name: COLOR
                      valueFrom: {configMapKeyRef: {name: settings, key: color}}
                    command: ["sh", "-c"]
                    args: ["test -f /data/init-ran && echo $(POD_NAME) $(COLOR) > /data/out && echo done"]
                    volumeMounts: [{name: data, mountPath: /data}]
                """
            )
            try await waitForPhase(api, "writer", "Succeeded")
            let folder = try await claimFolder(sandbox, api, "data")
            let out = try String(contentsOf: folder.appendingPathComponent("out"), encoding: .utf8)
            #expect(out == "writer blue\n")
            let status = await pod(api, "writer")["status"]
            #expect(status?["initContainerStatuses"]?[0]?["state"]?["terminated"]?["reason"] == "Completed")
            #expect(status?["containerStatuses"]?[0]?["state"]?["terminated"]?["exitCode"] == 0)
            let uid = try #require(await pod(api, "writer")["metadata"]?["uid"]?.stringValue)
            let log = PodLogLayout.file(
                root: sandbox.volumesRoot,
                node: "sandbox-node-1",
                namespace: "k",
                pod: "writer",
                uid: uid,
                container: "app",
                restartCount: 0
            )
            let line = try #require(
                try String(contentsOf: log, encoding: .utf8).split(separator: "\n").first.flatMap {
                    CRILogLine(parsing: $0)
                }
            )
            #expect(line.content == "done" && line.stream == .stdout)
        }
    }

    @Test func aContainerSeesOnlyItsOwnVolumesAndAReadOnlyHost() async throws {
        try await withCluster { sandbox, api, kubectl, directory in
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: other, namespace: k}
                spec:
                  volumes: [{name: scratch, emptyDir: {}}]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "echo secret > /scratch/file; exec sleep infinity"]
                    volumeMounts: [{name: scratch, mountPath: /scratch}]
                """
            )
            try await waitForPhase(api, "other", "Running")
            let otherUID = try #require(await pod(api, "other")["metadata"]?["uid"]?.stringValue)
            let otherVolume = sandbox.volumesRoot.appendingPathComponent(
                "nodes/sandbox-node-1/pods/\(otherUID)/volumes/kubernetes.io~empty-dir/scratch"
            )
            try await waitUntil("the other pod's file") {
                FileManager.default.fileExists(atPath: otherVolume.appendingPathComponent("file").path)
            }
            let script = [
                "r=/data/result",
                "touch /tmp/probe-$(POD_UID) && echo tmp:ok >> $r || echo tmp:fail >> $r",
                "touch /etc/lifeboat-probe 2>/dev/null && echo etc:writable >> $r || echo etc:readonly >> $r",
                "touch /ro/x 2>/dev/null && echo ro:writable >> $r || echo ro:readonly >> $r",
                "touch /sub/y && echo sub:ok >> $r || echo sub:fail >> $r",
                "cat \(otherVolume.path)/file 2>/dev/null && echo other:visible >> $r || echo other:hidden >> $r",
                "touch /deep/new/mount/z && echo deep:ok >> $r || echo deep:fail >> $r",
                "test -d /host_pods/$(POD_UID)/volumes && echo pods:ok >> $r || echo pods:fail >> $r",
            ].joined(separator: "; ")
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: probe, namespace: k}
                spec:
                  restartPolicy: Never
                  volumes:
                  - {name: data, emptyDir: {}}
                  - {name: shared, emptyDir: {}}
                  - {name: pods, hostPath: {path: /var/lib/kubelet/pods}}
                  containers:
                  - name: app
                    image: busybox
                    env:
                    - name: POD_UID
                      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
                    command: ["sh", "-c", "\(script)"]
                    volumeMounts:
                    - {name: data, mountPath: /data}
                    - {name: shared, mountPath: /ro, readOnly: true}
                    - {name: shared, mountPath: /sub, subPath: inner}
                    - {name: data, mountPath: /deep/new/mount, subPath: deep}
                    - {name: pods, mountPath: /host_pods, readOnly: true}
                """
            )
            try await waitForPhase(api, "probe", "Succeeded")
            let uid = try #require(await pod(api, "probe")["metadata"]?["uid"]?.stringValue)
            let volumes = sandbox.volumesRoot.appendingPathComponent(
                "nodes/sandbox-node-1/pods/\(uid)/volumes/kubernetes.io~empty-dir"
            )
            let result = try String(contentsOf: volumes.appendingPathComponent("data/result"), encoding: .utf8)
            #expect(
                result.split(separator: "\n") == [
                    "tmp:ok", "etc:readonly", "ro:readonly", "sub:ok", "other:hidden", "deep:ok", "pods:ok",
                ]
            )
            #expect(!FileManager.default.fileExists(atPath: "/tmp/probe-\(uid)"))
            #expect(!FileManager.default.fileExists(atPath: "/etc/lifeboat-probe"))
            #expect(FileManager.default.fileExists(atPath: volumes.appendingPathComponent("shared/inner/y").path))
            #expect(FileManager.default.fileExists(atPath: volumes.appendingPathComponent("data/deep/z").path))
        }
    }

    @Test func execRunsInTheContainersViewOfItsVolumes() async throws {
        try await withCluster { sandbox, api, kubectl, directory in
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: app, namespace: k}
                spec:
                  volumes: [{name: scratch, emptyDir: {}}]
                  containers:
                  - name: app
                    image: busybox
                    env: [{name: GREETING, value: hello}]
                    command: ["sh", "-c", "echo $GREETING > /scratch/file; exec sleep infinity"]
                    volumeMounts: [{name: scratch, mountPath: /scratch}]
                """
            )
            try await waitForPhase(api, "app", "Running")
            let uid = try #require(await pod(api, "app")["metadata"]?["uid"]?.stringValue)
            let host = try #require(sandbox.core.containers.current)
            let key = ObjectKey(namespace: "k", name: "app")
            var output = ""
            try await waitUntil("exec reads the file") {
                let invocation = try await host.execInvocation(
                    pod: key,
                    uid: uid,
                    container: "app",
                    command: [
                        "sh", "-c",
                        "cat /scratch/file; echo $GREETING; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace",
                    ]
                )
                output = try Self.run(invocation)
                return output == "hello\nhello\nk"
            }
            await #expect(throws: ContainerAccessError.containerNotFound(container: "nope")) {
                _ = try await host.execInvocation(pod: key, uid: uid, container: "nope", command: ["true"])
            }
        }
    }

    static func run(_ invocation: ProcessInvocation) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: invocation.executable)
        process.arguments = invocation.arguments
        process.environment = invocation.environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func waitingReasonsForACrashAMissingCommandAndAnUnmappedImage() async throws {
        try await withCluster { _, api, kubectl, directory in
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: crash, namespace: k}
                spec:
                  containers:
                  - {name: app, image: busybox, command: ["sh", "-c", "exit 3"]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: missing, namespace: k}
                spec:
                  containers:
                  - {name: app, image: example.com/tools:1, command: ["no-such-program-here"]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: unmapped, namespace: k}
                spec:
                  containers:
                  - {name: app, image: example.com/unmapped:1.0}
                """
            )
            func container(_ name: String) async -> JSONValue? {
                await pod(api, name)["status"]?["containerStatuses"]?[0]
            }
            try await waitUntil("crash in CrashLoopBackOff") {
                let status = await container("crash")
                return status?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff"
                    && (status?["restartCount"]?.intValue ?? 0) >= 1
                    && status?["lastState"]?["terminated"]?["exitCode"] == 3
            }
            try await waitUntil("missing waits with the runtime's message") {
                let status = await container("missing")
                let reason = status?["state"]?["waiting"]?["reason"]?.stringValue ?? ""
                let message = status?["lastState"]?["terminated"]?["message"]?.stringValue ?? ""
                return ["RunContainerError", "CrashLoopBackOff"].contains(reason)
                    && status?["lastState"]?["terminated"]?["reason"] == "StartError"
                    && message.contains("exec: \"no-such-program-here\": executable file not found in $PATH")
            }
            let table = try await kubectl.run("get", "pod", "crash", "missing", "-n", "k", "--no-headers")
            #expect(table.contains("crash") && table.contains("0/1"))
            try await waitUntil("unmapped waits with ErrImageNeverPull") {
                await container("unmapped")?["state"]?["waiting"]?["reason"] == "ErrImageNeverPull"
            }
            let listed = try await kubectl.run("get", "pod", "unmapped", "-n", "k", "--no-headers")
            #expect(listed.contains("0/1") && listed.contains("ErrImageNeverPull"))
            let unmapped = await pod(api, "unmapped")
            #expect(unmapped["status"]?["phase"] == "Pending")
            let message = unmapped["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["message"]
            #expect(message?.stringValue?.contains("--image-command example.com/unmapped=PATH") == true)
        }
    }

    @Test func deletionSendsSIGTERMWaitsTheGracePeriodThenRemovesThePod() async throws {
        try await withCluster { sandbox, api, kubectl, directory in
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: polite, namespace: k}
                spec:
                  volumes: [{name: marks, hostPath: {path: /var/marks}}]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "trap 'echo bye > /marks/polite; exit 0' TERM; touch /marks/ready; while true; do sleep 0.1; done"]
                    volumeMounts: [{name: marks, mountPath: /marks}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: stubborn, namespace: k}
                spec:
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "infinity"]}
                """
            )
            try await waitForPhase(api, "polite", "Running")
            try await waitForPhase(api, "stubborn", "Running")
            let marks = sandbox.volumesRoot.appendingPathComponent("nodes/sandbox-node-1/root/var/marks")
            try await waitUntil("polite handles SIGTERM") {
                FileManager.default.fileExists(atPath: marks.appendingPathComponent("ready").path)
            }
            try await kubectl.run("delete", "pod", "polite", "-n", "k")
            let marker = marks.appendingPathComponent("polite")
            #expect(try String(contentsOf: marker, encoding: .utf8) == "bye\n")
            #expect(await api.request("GET", "/api/v1/namespaces/k/pods/polite").status == 404)

            let reply = await api.request(
                "DELETE",
                "/api/v1/namespaces/k/pods/stubborn",
                json: ["gracePeriodSeconds": 1]
            )
            #expect(reply.status == 200)
            #expect(reply.json["metadata"]?["deletionGracePeriodSeconds"] == 1)
            try await kubectl.run("wait", "--for=delete", "pod/stubborn", "-n", "k", "--timeout=60s")
            #expect(await api.request("GET", "/api/v1/namespaces/k/pods/stubborn").status == 404)
        }
    }

    @Test func namespaceDeletionWaitsForItsPodsToStop() async throws {
        try await withCluster { _, api, kubectl, directory in
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: runner, namespace: k}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "infinity"]}
                """
            )
            try await waitForPhase(api, "runner", "Running")
            try await kubectl.run("delete", "namespace", "k", "--timeout=60s")
            #expect(await api.request("GET", "/api/v1/namespaces/k").status == 404)
        }
    }

    @Test func aRestartedSandboxRunsItsPodsAgain() async throws {
        try await withTemporaryDirectory(prefix: "kubelet-restart") { directory in
            let data = directory.appendingPathComponent("data")
            var uid = ""
            try await withTestSandbox(dataDirectory: data) { _, api in
                try await api.namespace("k")
                try await api.create(
                    "/api/v1/namespaces/k/pods",
                    [
                        "metadata": ["name": "again"],
                        "spec": [
                            "volumes": [["name": "scratch", "emptyDir": [:]]],
                            "containers": [
                                [
                                    "name": "app", "image": "busybox",
                                    "command": ["sh", "-c", "echo run >> /scratch/runs; exec sleep infinity"],
                                    "volumeMounts": [["name": "scratch", "mountPath": "/scratch"]],
                                ]
                            ],
                        ],
                    ]
                )
                try await waitForPhase(api, "again", "Running")
                uid = await pod(api, "again")["metadata"]?["uid"]?.stringValue ?? ""
            }
            let runs = data.appendingPathComponent(
                "nodes/sandbox-node-1/pods/\(uid)/volumes/kubernetes.io~empty-dir/scratch/runs"
            )
            try await withTestSandbox(dataDirectory: data) { _, api in
                try await waitUntil("the container ran again") {
                    let status = await pod(api, "again")["status"]?["containerStatuses"]?[0]
                    return status?["restartCount"] == 1 && status?["state"]?["running"] != nil
                        && (try? String(contentsOf: runs, encoding: .utf8)) == "run\nrun\n"
                }
            }
        }
    }

    @Test func aContainerRunsAsItsRunAsUser() async throws {
        try await withCluster { sandbox, api, kubectl, directory in
            try await apply(
                kubectl,
                directory,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: user, namespace: k}
                spec:
                  restartPolicy: Never
                  securityContext: {runAsUser: 1000, runAsGroup: 3000}
                  volumes: [{name: out, emptyDir: {}}]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "echo $(id -u):$(id -g) > /out/id"]
                    volumeMounts: [{name: out, mountPath: /out}]
                """
            )
            try await waitForPhase(api, "user", "Succeeded")
            let uid = try #require(await pod(api, "user")["metadata"]?["uid"]?.stringValue)
            let file = sandbox.volumesRoot.appendingPathComponent(
                "nodes/sandbox-node-1/pods/\(uid)/volumes/kubernetes.io~empty-dir/out/id"
            )
            #expect(try String(contentsOf: file, encoding: .utf8) == "1000:3000\n")
        }
    }
}
