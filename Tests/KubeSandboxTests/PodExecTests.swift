import Foundation
import KubeSandboxTesting
import ProcessTesting
import Testing

@testable import KubeSandbox
@testable import Kubernetes

/// `pods/exec` over WebSocket (v5/v4 channel protocols): the real kubectl and Lifeboat's client against
/// the sandbox, with ``HostShellExecHost`` standing in for the kubelet.
struct PodExecTests {
    typealias Kubectl = KubectlTests.Kubectl

    @Test func statusOnTheErrorChannelIsTheKubelets() {
        #expect(ExecSession.exitStatus(0, command: ["true"]).encodedText == #"{"metadata":{},"status":"Success"}"#)
        #expect(
            ExecSession.exitStatus(3, command: ["sh", "-c", "exit 3"]).encodedText
                == #"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: "#
                + #"error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","#
                + #""details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#
        )
        #expect(ExecRequest.negotiate("v5.channel.k8s.io, v4.channel.k8s.io") == "v5.channel.k8s.io")
        #expect(ExecRequest.negotiate("v4.channel.k8s.io,v5.channel.k8s.io") == "v4.channel.k8s.io")
        #expect(ExecRequest.negotiate("channel.k8s.io") == nil)
        let request = ExecRequest(rawQuery: "command=sh&command=-c&command=echo%20a+b&container=c&stdin=true&stdout=1")
        #expect(request.command == ["sh", "-c", "echo a b"] && request.container == "c")
        #expect(request.stdin && request.stdout && !request.stderr && !request.tty)
    }

    /// A sandbox whose "kubelet" runs exec commands on the host, a running pod `shell` (container `c`) and
    /// kubectl configured for it.
    private func withExecSandbox(
        _ body: (Kubectl, PodFixture, KubeClient) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory(prefix: "sandbox-exec") { directory in
            let kubectl = Kubectl(executable: try Kubectl.locate(), directory: directory)
            try await withSandbox { sandbox, client in
                sandbox.core.containers.install(HostShellExecHost(core: sandbox.core))
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                let api = TestAPI(sandbox: sandbox)
                try await api.namespace("exec")
                let pod = try await PodFixture.create(api, namespace: "exec", name: "shell", containers: ["c", "idle"])
                try await pod.setStatus(containers: [
                    PodFixture.status("c", state: "running"), PodFixture.status("idle", state: "waiting"),
                ])
                try await body(kubectl, pod, client)
            }
        }
    }

    @Test func kubectlExecStreamsStdinStdoutStderrAndTheExitCode() async throws {
        try await withExecSandbox { kubectl, _, _ in
            let piped = try await ChildProcess.run(
                kubectl.executable.path,
                kubectl.fullArguments([
                    "exec", "-i", "-n", "exec", "shell", "-c", "c", "--", "sh", "-c", "tr a-z A-Z; echo oops >&2",
                ]),
                environment: kubectl.environment,
                inheritEnvironment: false,
                input: Data("hello sandbox\n".utf8),
                timeout: .seconds(60)
            )
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(piped.stdout == "HELLO SANDBOX\n")
            #expect(piped.stderr == "oops\n")
            let failing = try await ChildProcess.run(
                kubectl.executable.path,
                kubectl.fullArguments(["exec", "-n", "exec", "shell", "-c", "c", "--", "sh", "-c", "exit 3"]),
                environment: kubectl.environment,
                inheritEnvironment: false,
                timeout: .seconds(60)
            )
            #expect(failing.status == 3, "\(failing.stderr)")
            // The WebSocket upgrade succeeds: kubectl does not fall back to SPDY.
            let verbose = try await ChildProcess.run(
                kubectl.executable.path,
                kubectl.fullArguments(["-v=8", "exec", "-n", "exec", "shell", "-c", "c", "--", "echo", "ws"]),
                environment: kubectl.environment,
                inheritEnvironment: false,
                timeout: .seconds(60)
            )
            #expect(verbose.status == 0 && verbose.stdout == "ws\n", "\(verbose.stderr)")
            #expect(verbose.stderr.contains("101 Switching Protocols"), "\(verbose.stderr)")
            #expect(!verbose.stderr.lowercased().contains("fallback"), "\(verbose.stderr)")
        }
    }

    @Test func kubectlExecErrorsAreTheServers() async throws {
        try await withExecSandbox { kubectl, pod, _ in
            let wrong = try await kubectl.run(
                "exec",
                "-n",
                "exec",
                "shell",
                "-c",
                "nope",
                "--",
                "true",
                expectSuccess: false
            )
            #expect(wrong.contains("container nope is not valid for pod shell"), "\(wrong)")
            let waiting = try await kubectl.run(
                "exec",
                "-n",
                "exec",
                "shell",
                "-c",
                "idle",
                "--",
                "true",
                expectSuccess: false
            )
            #expect(waiting.contains("container not found (\"idle\")"), "\(waiting)")
            let missing = try await kubectl.run("exec", "-n", "exec", "ghost", "--", "true", expectSuccess: false)
            #expect(missing.contains("pods \"ghost\" not found"), "\(missing)")
            // kubectl only asks for a terminal when its own stdin is one; ask the API directly.
            let terminal = await pod.api.request("POST", "\(pod.path)/exec?command=true&container=c&stdout=1&tty=1")
            #expect(terminal.status == 400)
            #expect(terminal.json["message"]?.stringValue?.contains("cannot allocate a terminal") == true)
            let attach = try await kubectl.run("attach", "-n", "exec", "shell", "-c", "c", expectSuccess: false)
            #expect(attach.contains("does not support attach"), "\(attach)")
            try await pod.setStatus(phase: "Succeeded", containers: [PodFixture.status("c", state: "terminated")])
            let done = try await kubectl.run(
                "exec",
                "-n",
                "exec",
                "shell",
                "-c",
                "c",
                "--",
                "true",
                expectSuccess: false
            )
            #expect(
                done.contains("cannot exec into a container in a completed pod; current phase is Succeeded"),
                "\(done)"
            )
        }
    }

    @Test func clientExecSendsStdinAndReturnsOutputAndExitCode() async throws {
        try await withExecSandbox { _, pod, client in
            let result = try await client.exec(
                namespace: "exec",
                pod: "shell",
                container: "c",
                command: ["sh", "-c", "wc -c; echo done >&2; exit 7"],
                stdin: Array(repeating: UInt8(ascii: "x"), count: 100_000)
            )
            #expect(result.stdoutText.trimmingCharacters(in: .whitespaces) == "100000\n")
            #expect(result.stderrText == "done\n")
            #expect(result.exitCode == 7)
            #expect(result.subprotocol == "v5.channel.k8s.io")
            let quiet = try await client.exec(namespace: "exec", pod: "shell", container: "c", command: ["true"])
            #expect(quiet.exitCode == 0 && quiet.stdout.isEmpty)
            do {
                _ = try await client.exec(namespace: "exec", pod: "shell", container: "nope", command: ["true"])
                Issue.record("exec into a container that is not in the pod succeeded")
            } catch let error as KubeError {
                #expect(error.code == .badRequest, "\(error)")
                #expect(error.status?.message == "container nope is not valid for pod shell")
            }
            do {
                _ = try await client.exec(namespace: "exec", pod: "shell", container: "idle", command: ["true"])
                Issue.record("exec into a container that does not run succeeded")
            } catch let error as KubeError {
                #expect(error.status?.message == "container not found (\"idle\")", "\(error)")
            }
            do {
                _ = try await client.exec(namespace: "exec", pod: "ghost", command: ["true"])
                Issue.record("exec into a missing pod succeeded")
            } catch let error as KubeError {
                #expect(error.code == .notFound, "\(error)")
            }
            _ = pod
        }
    }

    @Test func v4StreamsWithoutTheCloseSignal() async throws {
        try await withExecSandbox { _, _, client in
            // v4 cannot end stdin: the command reads what it needs and stops by itself.
            let result = try await client.exec(
                namespace: "exec",
                pod: "shell",
                container: "c",
                command: ["sh", "-c", "head -c 5; echo; echo warn >&2; exit 2"],
                stdin: Array("hello world".utf8),
                offering: ["v4.channel.k8s.io"]
            )
            #expect(result.subprotocol == "v4.channel.k8s.io")
            #expect(result.stdoutText == "hello\n" && result.stderrText == "warn\n" && result.exitCode == 2)
        }
    }
}
