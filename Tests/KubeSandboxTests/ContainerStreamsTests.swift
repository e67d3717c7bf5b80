import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

@testable import KubeSandbox

/// `kubectl logs`, `kubectl exec` and Lifeboat's client against containers that really run (the kubelet's
/// processes, not a stand-in): what a container prints is its log, and exec runs inside the container, where its
/// volumes are.
@Suite(.enabled(if: containersRun, "needs bubblewrap and mount namespaces"))
struct ContainerStreamsTests {
    static let manifest = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: data, namespace: k}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: app, namespace: k}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox:1.36
            command: [sh, -c, 'echo started; echo oops >&2; echo hello > /data/greeting; exec sleep infinity']
            volumeMounts: [{name: data, mountPath: /data}]
          volumes:
          - name: data
            persistentVolumeClaim: {claimName: data}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: counter, namespace: k}
        spec:
          restartPolicy: Never
          containers:
          - name: count
            image: busybox:1.36
            command: [sh, -c, 'for i in 1 2 3; do echo line $i; sleep 0.2; done']
        """

    @Test func logsAndExecReachTheRunningContainer() async throws {
        try await withTemporaryDirectory(prefix: "streams-test") { directory in
            let kubectl = KubectlTests.Kubectl(executable: try KubectlTests.Kubectl.locate(), directory: directory)
            try await withSandbox { sandbox, client in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                let file = directory.appendingPathComponent("app.yaml")
                try await kubectl.run("create", "namespace", "k")
                try Self.manifest.write(to: file, atomically: true, encoding: .utf8)
                try await kubectl.run("apply", "-f", file.path)
                try await kubectl.run("wait", "-n", "k", "--for=condition=Ready", "pod/app", "--timeout=60s")

                // The log is what the process printed, stdout and stderr.
                try await waitUntil("the container's output is in its log") {
                    let log = try await kubectl.run("logs", "-n", "k", "app")
                    return log.contains("started") && log.contains("oops")
                }
                // logs -f of a container that ends returns when its run ends, with every line.
                let followed = try await kubectl.run("logs", "-f", "-n", "k", "counter")
                #expect(followed == "line 1\nline 2\nline 3\n")

                // kubectl exec runs inside the container: its volume is at the mount path; the exit code passes.
                let seen = try await kubectl.run("exec", "-n", "k", "app", "--", "cat", "/data/greeting")
                #expect(seen == "hello\n")
                let failed = try await ChildProcess.run(
                    kubectl.executable.path,
                    kubectl.fullArguments(["exec", "-n", "k", "app", "--", "sh", "-c", "echo to-err >&2; exit 7"]),
                    environment: kubectl.environment,
                    inheritEnvironment: false,
                    timeout: .seconds(60)
                )
                #expect(failed.status == 7)
                #expect(failed.stderr.contains("to-err"))
                // kubectl exec -i passes stdin through to the container's process.
                let piped = try await ChildProcess.run(
                    kubectl.executable.path,
                    kubectl.fullArguments(["exec", "-i", "-n", "k", "app", "--", "sh", "-c", "tr a-z A-Z"]),
                    environment: kubectl.environment,
                    inheritEnvironment: false,
                    input: Data("from kubectl\n".utf8),
                    timeout: .seconds(60)
                )
                #expect(piped.status == 0 && piped.stdout == "FROM KUBECTL\n", "\(piped.stderr)")

                // Lifeboat's client: stdin into the container's volume, output and exit code back.
                let result = try await client.exec(
                    namespace: "k",
                    pod: "app",
                    command: ["sh", "-c", "cat > /data/from-client; cat /data/greeting; echo done >&2; exit 3"],
                    stdin: Array("payload".utf8)
                )
                #expect(result.exitCode == 3)
                #expect(result.stdoutText == "hello\n")
                #expect(result.stderrText == "done\n")
                let pvc = try await client.get(
                    GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims"),
                    namespace: "k",
                    name: "data"
                )
                let volume = try #require(pvc["spec"]?["volumeName"]?.stringValue)
                let written = sandbox.volumesRoot.appendingPathComponent("volumes/\(volume)/from-client")
                #expect(try String(contentsOf: written, encoding: .utf8) == "payload")
                #expect(try await client.logText(namespace: "k", pod: "app").contains("started\n"))
            }
        }
    }
}
