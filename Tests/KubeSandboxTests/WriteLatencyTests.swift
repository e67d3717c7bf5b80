import Foundation
import KubeSandboxTesting
import Kubernetes
import Synchronization
import Testing

@testable import KubeSandbox

/// `writeLatency` delays writes (like an etcd commit) and leaves reads alone; bad values are refused.
struct WriteLatencyTests {
    @Test func writesWaitReadsDoNot() async throws {
        let latency = Duration.seconds(4)
        try await withSandbox(.velero(writeLatency: latency)) { sandbox in
            let api = TestAPI(sandbox: sandbox)
            let createTime = try await ContinuousClock().measure { try await api.namespace("slow") }
            #expect(createTime >= latency, "a create answered in \(createTime), before the \(latency) write latency")
            // A read made while a write waits out its latency is answered before that write is applied.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await api.namespace("pending") }
                let deadline = ContinuousClock.now + .seconds(90)
                while sandbox.core.writesInCommit.load(ordering: .relaxed) == 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                let reply = await api.request("GET", "/api/v1/namespaces/slow")
                #expect(reply.status == 200)
                #expect(
                    sandbox.core.writesInCommit.load(ordering: .relaxed) == 1,
                    "the read waited for the pending write"
                )
                #expect(
                    await api.request("GET", "/api/v1/namespaces/pending").status == 404,
                    "the write is not applied yet"
                )
                try await group.waitForAll()
            }
            #expect(await api.request("GET", "/api/v1/namespaces/pending").status == 200)
        }
    }

    /// The delay models the commit, not a lock: concurrent writes wait out their latency together. Checked
    /// by seeing all of them inside the delay at one moment (not by wall time, which the rest of the test
    /// suite running on the same two cores would blur).
    @Test func concurrentWritesOverlap() async throws {
        try await withSandbox(.velero(writeLatency: .seconds(3))) { sandbox in
            let api = TestAPI(sandbox: sandbox)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 { group.addTask { try await api.namespace("n\(index)") } }
                var most = 0
                let deadline = ContinuousClock.now + .seconds(90)
                while most < 10, ContinuousClock.now < deadline {
                    most = max(most, sandbox.core.writesInCommit.load(ordering: .relaxed))
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(most == 10, "at most \(most) of 10 concurrent writes were waiting at the same time")
                try await group.waitForAll()
            }
            #expect(sandbox.core.writesInCommit.load(ordering: .relaxed) == 0)
        }
    }

    @Test(arguments: [Duration.milliseconds(-1), .seconds(11)])
    func outOfRangeIsRefused(_ latency: Duration) async {
        await #expect(throws: SandboxError.self) {
            try await withSandbox(.velero(writeLatency: latency)) { _ in }
        }
    }
}

extension SandboxConfiguration {
    /// One node, the velero.io CRDs and `writeLatency`.
    fileprivate static func velero(writeLatency: Duration) -> SandboxConfiguration {
        SandboxConfiguration(port: 0, nodes: 1, writeLatency: writeLatency, customResources: .velero)
    }
}
