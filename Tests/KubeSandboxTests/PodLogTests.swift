import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

@testable import KubeSandbox

/// `pods/log`: the kubelet's choice of run, the API server's errors, the query parameters, following a run
/// to its end; through the API, the real kubectl and Lifeboat's client.
struct PodLogTests {
    typealias Kubectl = KubectlTests.Kubectl

    @Test func formatterAppliesSinceTimestampsAndLimit() throws {
        let old = CRILogLine(nanoseconds: 1_000_000_000, stream: .stdout, content: "old")
        let new = CRILogLine(nanoseconds: 5_000_000_000, stream: .stderr, content: "new")
        let partial = CRILogLine(nanoseconds: 6_000_000_000, stream: .stdout, partial: true, content: "par")
        let lines = [old, new, partial].map { $0.encoded.dropLast() }
        var options = try PodLogOptions(query: ["sinceSeconds": "10"], now: 12_000_000_000)
        #expect(options.sinceNanoseconds == 2_000_000_000)
        options.timestamps = true
        var formatter = PodLogFormatter(options: options)
        #expect(
            String(decoding: formatter.format(lines), as: UTF8.self)
                == "1970-01-01T00:00:05.000000000Z new\n1970-01-01T00:00:06.000000000Z par"
        )
        var limited = PodLogFormatter(options: try PodLogOptions(query: ["limitBytes": "5"]))
        #expect(String(decoding: limited.format(lines), as: UTF8.self) == "old\nn")
        #expect(limited.exhausted)
        let (tail, rest) = PodLogFormatter.lines(of: Array("a\nb\nc\nunfinished".utf8), tail: 2)
        #expect(tail == ["b", "c"] && rest == Array("unfinished".utf8))
    }

    @Test func optionsAreValidatedAsTheServerDoes() {
        #expect(throws: APIStatus.self) { try PodLogOptions(query: ["tailLines": "-1"]) }
        #expect(throws: APIStatus.self) {
            try PodLogOptions(query: ["sinceSeconds": "5", "sinceTime": "2026-01-01T00:00:00Z"])
        }
        #expect(throws: APIStatus.self) { try PodLogOptions(query: ["follow": "maybe"]) }
        #expect(
            (try? PodLogOptions(query: ["sinceTime": "2026-01-01T01:00:00+01:00"]))?.sinceNanoseconds
                == 1_767_225_600_000_000_000
        )
    }

    @Test func selectionFollowsTheKubeletsRules() throws {
        let running = PodFixture.status("c", state: "running", restartCount: 2, previousRun: true)
        #expect(
            try PodLogSelection(status: running, container: "c", pod: "p", previous: false) == .init(run: 2, live: true)
        )
        #expect(
            try PodLogSelection(status: running, container: "c", pod: "p", previous: true) == .init(run: 1, live: false)
        )
        let crashing = PodFixture.status(
            "c",
            state: "waiting",
            restartCount: 3,
            reason: "CrashLoopBackOff",
            previousRun: true
        )
        #expect(
            try PodLogSelection(status: crashing, container: "c", pod: "p", previous: false)
                == .init(run: 2, live: false)
        )
        func message(_ status: JSONValue?, previous: Bool = false) -> String? {
            do {
                _ = try PodLogSelection(status: status, container: "c", pod: "p", previous: previous)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(
            message(PodFixture.status("c", state: "running"), previous: true)
                == "previous terminated container \"c\" in pod \"p\" not found"
        )
        #expect(
            message(PodFixture.status("c", state: "waiting"))
                == "container \"c\" in pod \"p\" is waiting to start: ContainerCreating"
        )
        #expect(message(nil) == "container \"c\" in pod \"p\" is not available")
        let selection = PodLogSelection(run: 0, live: true)
        #expect(!selection.ended(by: PodFixture.status("c", state: "running")))
        #expect(selection.ended(by: PodFixture.status("c", state: "terminated")))
        #expect(selection.ended(by: PodFixture.status("c", state: "running", restartCount: 1)))
    }

    @Test func apiAnswersWithTheServersErrors() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("logs")
            let pod = try await PodFixture.create(
                api,
                namespace: "logs",
                name: "two",
                containers: ["a", "b"],
                initContainers: ["setup"]
            )
            try await pod.setStatus(
                containers: [PodFixture.status("a", state: "running"), PodFixture.status("b", state: "waiting")],
                initContainers: [PodFixture.status("setup", state: "terminated")]
            )
            try pod.appendLog("a", PodFixture.entries(["one", "two"]))
            try pod.appendLog("setup", PodFixture.entries(["prepared"]))
            let base = "/api/v1/namespaces/logs/pods"
            let missing = await api.request("GET", "\(base)/nope/log")
            #expect(missing.status == 404 && missing.json["message"] == "pods \"nope\" not found")
            let choose = await api.request("GET", "\(base)/two/log")
            #expect(choose.status == 400)
            #expect(
                choose.json["message"] == "a container name must be specified for pod two, choose one of: [setup a b]"
            )
            let invalid = await api.request("GET", "\(base)/two/log?container=zzz")
            #expect(invalid.status == 400 && invalid.json["message"] == "container zzz is not valid for pod two")
            let waiting = await api.request("GET", "\(base)/two/log?container=b")
            #expect(waiting.json["message"] == "container \"b\" in pod \"two\" is waiting to start: ContainerCreating")
            let previous = await api.request("GET", "\(base)/two/log?container=a&previous=true")
            #expect(previous.json["message"] == "previous terminated container \"a\" in pod \"two\" not found")
            let log = await api.request("GET", "\(base)/two/log?container=a", accept: "*/*")
            #expect(log.status == 200 && log.text == "one\ntwo\n")
            #expect(log.headers["Content-Type"]?.hasPrefix("text/plain") == true)
            #expect(await api.request("GET", "\(base)/two/log?container=setup").text == "prepared\n")
            #expect(await api.request("GET", "\(base)/two/log?container=a&limitBytes=5").text == "one\nt")
        }
    }

    @Test func kubectlLogsReadsRunsWithItsFlags() async throws {
        try await withTemporaryDirectory(prefix: "sandbox-logs") { directory in
            let kubectl = Kubectl(executable: try Kubectl.locate(), directory: directory)
            try await withTestSandbox { sandbox, api in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                try await api.namespace("logs")
                let pod = try await PodFixture.create(
                    api,
                    namespace: "logs",
                    name: "app",
                    containers: ["main", "side"]
                )
                try await pod.setStatus(containers: [
                    PodFixture.status("main", state: "running", restartCount: 1, previousRun: true),
                    PodFixture.status("side", state: "running"),
                ])
                try pod.appendLog("main", run: 0, PodFixture.entries(["crashed run"]))
                try pod.appendLog("main", run: 1, PodFixture.entries(["old line"], secondsAgo: 7200))
                try pod.appendLog("main", run: 1, PodFixture.entries(["line 1", "line 2", "line 3"]))
                try pod.appendLog("side", PodFixture.entries(["side car"], stream: .stderr))

                #expect(
                    try await kubectl.run("logs", "-n", "logs", "app", "-c", "main")
                        == "old line\nline 1\nline 2\nline 3\n"
                )
                #expect(
                    try await kubectl.run("logs", "-n", "logs", "app", "-c", "main", "--tail", "2")
                        == "line 2\nline 3\n"
                )
                #expect(
                    try await kubectl.run("logs", "-n", "logs", "app", "-c", "main", "--since", "1h")
                        == "line 1\nline 2\nline 3\n"
                )
                #expect(
                    try await kubectl.run("logs", "-n", "logs", "app", "-c", "main", "--previous") == "crashed run\n"
                )
                #expect(try await kubectl.run("logs", "-n", "logs", "app", "-c", "side") == "side car\n")
                let stamped = try await kubectl.run(
                    "logs",
                    "-n",
                    "logs",
                    "app",
                    "-c",
                    "main",
                    "--timestamps",
                    "--tail",
                    "1"
                )
                #expect(stamped.hasSuffix("Z line 3\n") && stamped.hasPrefix("20"), "\(stamped)")
                let noPrevious = try await kubectl.run(
                    "logs",
                    "-n",
                    "logs",
                    "app",
                    "-c",
                    "side",
                    "-p",
                    expectSuccess: false
                )
                #expect(
                    noPrevious.contains("previous terminated container \"side\" in pod \"app\" not found"),
                    "\(noPrevious)"
                )
                let invalid = try await kubectl.run("logs", "-n", "logs", "app", "-c", "nope", expectSuccess: false)
                #expect(invalid.contains("container nope is not valid for pod app"), "\(invalid)")
                let missing = try await kubectl.run("logs", "-n", "logs", "ghost", expectSuccess: false)
                #expect(missing.contains("pods \"ghost\" not found"), "\(missing)")
            }
        }
    }

    @Test func kubectlLogsFollowEndsWhenTheRunEnds() async throws {
        try await withTemporaryDirectory(prefix: "sandbox-logs") { directory in
            let kubectl = Kubectl(executable: try Kubectl.locate(), directory: directory)
            try await withTestSandbox { sandbox, api in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                try await api.namespace("logs")
                let pod = try await PodFixture.create(api, namespace: "logs", name: "tail", containers: ["c"])
                try pod.appendLog("c", PodFixture.entries(["first"]))
                let (process, out, _) = try kubectl.start(["logs", "-n", "logs", "tail", "-f"])
                let output = PipeCollector(out)
                try await waitUntil("kubectl printed the first line") { output.text == "first\n" }
                try pod.appendLog("c", PodFixture.entries(["second"]))
                try await waitUntil("kubectl printed the appended line") { output.text == "first\nsecond\n" }
                try pod.appendLog("c", PodFixture.entries(["last words"]))
                try await pod.setStatus(containers: [PodFixture.status("c", state: "terminated")])
                #expect(await process.exitStatus() == 0)
                try await waitUntil("all output read") { output.text == "first\nsecond\nlast words\n" }
            }
        }
    }

    @Test func kubectlLogsOfADeploymentPicksItsPod() async throws {
        try await withTemporaryDirectory(prefix: "sandbox-logs") { directory in
            let kubectl = Kubectl(executable: try Kubectl.locate(), directory: directory)
            try await withTestSandbox { sandbox, api in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                try await api.namespace("logs")
                try await api.create(
                    "/apis/apps/v1/namespaces/logs/deployments",
                    [
                        "metadata": ["name": "web"],
                        "spec": [
                            "replicas": 1, "selector": ["matchLabels": ["app": "web"]],
                            "template": [
                                "metadata": ["labels": ["app": "web"]],
                                "spec": [
                                    "terminationGracePeriodSeconds": 1,
                                    "containers": [
                                        [
                                            "name": "web", "image": "busybox:1.36",
                                            "command": ["sh", "-c", "echo serving; exec sleep infinity"],
                                        ]
                                    ],
                                ],
                            ],
                        ],
                    ]
                )
                try await waitUntil("the deployment's pod runs") {
                    let pods = await api.request("GET", "/api/v1/namespaces/logs/pods?labelSelector=app%3Dweb").json
                    return pods["items"]?.arrayValue?.first?["status"]?["phase"]?.stringValue == "Running"
                }
                try await waitUntil("kubectl logs deploy/web shows the pod's output") {
                    try await kubectl.run("logs", "-n", "logs", "deploy/web", expectSuccess: false) == "serving\n"
                }
            }
        }
    }

    @Test func clientStreamsLogs() async throws {
        try await withSandbox { sandbox, client in
            let api = TestAPI(sandbox: sandbox)
            try await api.namespace("logs")
            let pod = try await PodFixture.create(api, namespace: "logs", name: "stream", containers: ["c", "d"])
            try pod.appendLog("c", PodFixture.entries(["alpha", "beta"]))
            #expect(
                try await client.logText(namespace: "logs", pod: "stream", container: "c", tailLines: 1) == "beta\n"
            )
            let stamped = try await client.logText(namespace: "logs", pod: "stream", container: "c", timestamps: true)
            #expect(stamped.split(separator: "\n").allSatisfy { $0.hasPrefix("20") }, "\(stamped)")
            await #expect(throws: KubeError.self) { try await client.logText(namespace: "logs", pod: "stream") }
            do {
                _ = try await client.logText(namespace: "logs", pod: "stream", container: "c", previous: true)
                Issue.record("a previous run that does not exist was read")
            } catch let error as KubeError {
                #expect(error.code == .badRequest)
                #expect(error.status?.message == "previous terminated container \"c\" in pod \"stream\" not found")
            }
            var iterator = client.logs(namespace: "logs", pod: "stream", container: "c", follow: true)
                .makeAsyncIterator()
            var received = ""
            while received != "alpha\nbeta\n", let chunk = try await iterator.next() {
                received += String(decoding: chunk, as: UTF8.self)
            }
            try pod.appendLog("c", PodFixture.entries(["gamma"]))
            while received != "alpha\nbeta\ngamma\n", let chunk = try await iterator.next() {
                received += String(decoding: chunk, as: UTF8.self)
            }
            try await pod.setStatus(containers: [
                PodFixture.status("c", state: "terminated"), PodFixture.status("d", state: "running"),
            ])
            while let chunk = try await iterator.next() { received += String(decoding: chunk, as: UTF8.self) }
            #expect(received == "alpha\nbeta\ngamma\n")
        }
    }
}
