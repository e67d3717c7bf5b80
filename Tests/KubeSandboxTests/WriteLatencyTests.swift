import Foundation
import Kubernetes
import Testing

@testable import KubeSandbox

/// `writeLatency` delays writes (like an etcd commit) and leaves reads alone; bad values are refused.
struct WriteLatencyTests {
    @Test func writesWaitReadsDoNot() async throws {
        let latency = Duration.milliseconds(150)
        try await withSandbox(SandboxConfiguration(port: 0, nodes: 1, writeLatency: latency)) { sandbox in
            let api = TestAPI(sandbox: sandbox)
            let clock = ContinuousClock()
            let createTime = try await clock.measure {
                try await api.namespace("slow")
            }
            #expect(createTime >= latency, "a create answered in \(createTime), before the \(latency) write latency")
            let readTime = await clock.measure {
                let reply = await api.request("GET", "/api/v1/namespaces/slow")
                #expect(reply.status == 200)
            }
            #expect(readTime < latency, "a read took \(readTime): reads must not be delayed")
            let deleteTime = await clock.measure {
                let reply = await api.request("DELETE", "/api/v1/namespaces/slow")
                #expect(reply.status == 200)
            }
            #expect(deleteTime >= latency)
        }
    }

    @Test func concurrentWritesOverlap() async throws {
        let latency = Duration.milliseconds(200)
        try await withSandbox(SandboxConfiguration(port: 0, nodes: 1, writeLatency: latency)) { sandbox in
            let api = TestAPI(sandbox: sandbox)
            let elapsed = try await ContinuousClock().measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<10 { group.addTask { try await api.namespace("n\(index)") } }
                    try await group.waitForAll()
                }
            }
            // Ten writes in parallel take about one latency, not ten: the delay models the commit, not a lock.
            #expect(elapsed < latency * 5, "10 concurrent writes took \(elapsed)")
        }
    }

    @Test(arguments: [Duration.milliseconds(-1), .seconds(11)])
    func outOfRangeIsRefused(_ latency: Duration) async {
        await #expect(throws: SandboxError.self) {
            try await withSandbox(SandboxConfiguration(port: 0, nodes: 1, writeLatency: latency)) { _ in }
        }
    }
}
