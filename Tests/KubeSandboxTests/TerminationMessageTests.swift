import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// The kubelet's termination messages (`terminationMessagePath`, `FallbackToLogsOnError`, the kubelet's byte
/// limits) and the API server's container defaults, without containers.
struct TerminationMessageTests {
    @Test func theFileKeepsItsLast4096BytesAndThePodShareKeepsTheFirstBytes() throws {
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("termination-log")
            let text = String(repeating: "a", count: 1000) + String(repeating: "b", count: 4096)
            try Data(text.utf8).write(to: file)
            let settings = TerminationMessage(container: ["name": "c"])
            let log = directory.appendingPathComponent("0.log")
            let single = settings.message(file: file, exitCode: 0, logFile: log, containers: 1)
            #expect(single == String(repeating: "b", count: 4096))
            // Four containers share 12 KiB: 3072 bytes each, the first ones kept.
            let shared = settings.message(file: file, exitCode: 0, logFile: log, containers: 4)
            #expect(shared == String(repeating: "b", count: 3072))
        }
    }

    @Test func anEmptyFileFallsBackToTheLogOnlyWhenTheContainerFailedAndThePolicySaysSo() throws {
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("termination-log")
            try Data().write(to: file)
            let log = directory.appendingPathComponent("0.log")
            let lines = (1...100).map { CRILogLine(nanoseconds: 1, stream: .stderr, content: "line \($0)").encoded }
            try Data(lines.joined().utf8).write(to: log)
            let fallback = TerminationMessage(
                container: ["name": "c", "terminationMessagePolicy": "FallbackToLogsOnError"]
            )
            let message = try #require(fallback.message(file: file, exitCode: 2, logFile: log, containers: 1))
            // The last 80 lines.
            #expect(message.hasPrefix("line 21\n"))
            #expect(message.hasSuffix("line 100\n"))
            #expect(fallback.message(file: file, exitCode: 0, logFile: log, containers: 1) == nil)
            let filePolicy = TerminationMessage(container: ["name": "c"])
            #expect(filePolicy.message(file: file, exitCode: 2, logFile: log, containers: 1) == nil)
        }
    }

    @Test func theLogFallbackKeepsItsLast2048Bytes() throws {
        try withTemporaryDirectory { directory in
            let log = directory.appendingPathComponent("0.log")
            let long = String(repeating: "x", count: 1500)
            let lines = [long, long].map { CRILogLine(nanoseconds: 1, stream: .stdout, content: $0).encoded }
            try Data(lines.joined().utf8).write(to: log)
            let tail = TerminationMessage.logTail(of: log)
            #expect(tail.utf8.count == TerminationMessage.maxLogBytes)
            #expect(tail.hasSuffix("x\n"))
        }
    }

    @Test func anEmptyPathBindsNoFile() {
        let settings = TerminationMessage(container: ["name": "c", "terminationMessagePath": ""])
        #expect(settings.path == nil)
        #expect(TerminationMessage(container: ["name": "c"]).path == "/dev/termination-log")
    }

    @Test func hostPathsInsideASharedFolderAreTheHostsOwn() {
        let shared = ["/srv/backups", "/data/"]
        #expect(PodVolumes.isShared("/srv/backups", in: shared))
        #expect(PodVolumes.isShared("/srv/backups/bucket", in: shared))
        #expect(PodVolumes.isShared("/data/x", in: shared))
        #expect(!PodVolumes.isShared("/srv/backups-other", in: shared))
        #expect(!PodVolumes.isShared("/srv/backups/../etc", in: shared))
        #expect(!PodVolumes.isShared("/etc", in: shared))
    }

    @Test func aSharedHostPathMustBeAbsolute() {
        #expect(throws: SandboxError.self) {
            try SandboxConfiguration(sharedHostPaths: ["relative/path"]).validate()
        }
        #expect(throws: SandboxError.self) {
            try SandboxConfiguration(sharedHostPaths: ["/srv/../etc"]).validate()
        }
    }

    @Test func podCreationDefaultsTheTerminationMessageFieldsOfEveryContainer() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("k")
            let created = try await api.create(
                "/api/v1/namespaces/k/pods",
                [
                    "metadata": ["name": "p"],
                    "spec": [
                        "initContainers": [["name": "init", "image": "busybox"]],
                        "containers": [
                            [
                                "name": "app", "image": "busybox", "terminationMessagePath": "/tmp/done",
                                "terminationMessagePolicy": "FallbackToLogsOnError",
                            ]
                        ],
                    ],
                ]
            )
            let initContainer = created["spec"]?["initContainers"]?[0]
            #expect(initContainer?["terminationMessagePath"] == "/dev/termination-log")
            #expect(initContainer?["terminationMessagePolicy"] == "File")
            let app = created["spec"]?["containers"]?[0]
            #expect(app?["terminationMessagePath"] == "/tmp/done")
            #expect(app?["terminationMessagePolicy"] == "FallbackToLogsOnError")
        }
    }
}
