import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// Concurrency, persistence and CRD behaviour.
struct StoreSemanticsTests {
    @Test func concurrentWritersExactlyOneWins() async throws {
        try await withTestSandbox(nodes: 0) { _, api in
            try await api.namespace("race")
            let path = "/api/v1/namespaces/race/configmaps"
            let base = try await api.create(path, ["metadata": ["name": "shared"], "data": ["v": "0"]])
            let statuses = await withTaskGroup(of: Int.self) { group in
                for writer in 0..<16 {
                    var object = base
                    object["data"] = ["v": .string("\(writer + 1)")]
                    group.addTask { await api.request("PUT", "\(path)/shared", json: object).status }
                }
                var all: [Int] = []
                for await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 409 }.count == 15, "\(statuses)")
            let creates = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask { await api.request("POST", path, json: ["metadata": ["name": "once"]]).status }
                }
                var all: [Int] = []
                for await status in group { all.append(status) }
                return all
            }
            #expect(creates.sorted() == [201] + Array(repeating: 409, count: 7))
        }
    }

    @Test func stateSurvivesRestart() async throws {
        try await withTemporaryDirectory(prefix: "sandbox-test") { directory in
            let version: String = try await withTestSandbox(nodes: 1, dataDirectory: directory) { _, api in
                try await api.namespace("keep")
                for index in 0..<20 {
                    try await api.create(
                        "/api/v1/namespaces/keep/configmaps",
                        ["metadata": ["name": .string("cm-\(index)")], "data": ["i": .string("\(index)")]]
                    )
                }
                #expect(await api.request("DELETE", "/api/v1/namespaces/keep/configmaps/cm-3").status == 200)
                return await api.request("GET", "/api/v1/namespaces/keep/configmaps").json["metadata"]?[
                    "resourceVersion"
                ]?
                .stringValue ?? ""
            }
            try await withTestSandbox(nodes: 1, dataDirectory: directory) { sandbox, api in
                let list = await api.request("GET", "/api/v1/namespaces/keep/configmaps").json
                let names = Set((list["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue })
                #expect(names.count == 19)
                #expect(!names.contains("cm-3"))
                let newVersion = Int64(list["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
                #expect(newVersion >= Int64(version) ?? .max)
                let created = try await api.create(
                    "/api/v1/namespaces/keep/configmaps",
                    ["metadata": ["name": "after"]]
                )
                #expect((Int64(created["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0) > newVersion)
                #expect(sandbox.kubeconfigYAML.contains("certificate-authority-data"))
            }
        }
    }

    @Test func acknowledgedWritesSurviveACrash() async throws {
        try await withTemporaryDirectory(prefix: "sandbox-test") { root in
            let directory = root.appendingPathComponent("data")
            let crashed = root.appendingPathComponent("crashed")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: crashed, withIntermediateDirectories: true)
            let configuration = SandboxConfiguration(dataDirectory: directory, nodes: 0, logCompactionBytes: 8_000)
            try await withSandbox(configuration) { sandbox in
                let api = TestAPI(sandbox: sandbox)
                try await api.namespace("crash")
                let path = "/api/v1/namespaces/crash/configmaps"
                for index in 0..<30 {
                    try await api.create(
                        path,
                        [
                            "metadata": ["name": .string("cm-\(index)")],
                            "data": ["pad": .string(String(repeating: "p", count: 1000))],
                        ]
                    )
                }
                #expect(await api.request("DELETE", "\(path)/cm-7").status == 200)
                let patched = await api.request(
                    "PATCH",
                    "\(path)/cm-8",
                    json: ["data": ["k": "v"]],
                    contentType: "application/merge-patch+json"
                )
                #expect(patched.status == 200)
                // After a compaction while running the log starts with the live objects; after the start-up
                // compaction of an empty store it would start with the counter record. Compactions run on a thread
                // of their own: the last one that started is awaited.
                await sandbox.core.store.log?.waitForCompaction()
                #expect((sandbox.core.store.log?.completedCompactions ?? 0) > 0)
                let logBytes = try Data(contentsOf: directory.appendingPathComponent("objects.log"))
                #expect(logBytes.first == UInt8(ascii: "P"), "the log was compacted while running")
                // kill -9: take the data directory as it is on disk while the server still runs (no shutdown, no
                // compaction), plus a torn record of a write that was never acknowledged.
                try FileManager.default.removeItem(at: crashed)
                try FileManager.default.copyItem(at: directory, to: crashed)
                let log = try FileHandle(forWritingTo: crashed.appendingPathComponent("objects.log"))
                try log.seekToEnd()
                try log.write(contentsOf: Data("P\tconfigmaps\tcrash\ttorn\t99999\t500\n{\"metadata\":{\"na".utf8))
                try log.close()
            }
            try await withTestSandbox(nodes: 0, dataDirectory: crashed) { _, api in
                let items =
                    await api.request("GET", "/api/v1/namespaces/crash/configmaps").json["items"]?.arrayValue ?? []
                let names = Set(items.compactMap { $0["metadata"]?["name"]?.stringValue })
                #expect(names.count == 29)
                #expect(!names.contains("cm-7") && !names.contains("torn"))
                #expect(items.first { $0["metadata"]?["name"] == "cm-8" }?["data"]?["k"] == "v")
            }
        }
    }

    @Test func crdServesItsResourceAndValidates() async throws {
        try await withTestSandbox(nodes: 0) { _, api in
            try await api.namespace("golden")
            let request = try Golden.exchange("crd-create")["request"]?["body"]
            let crd = try await api.create(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                try #require(request)
            )
            let conditions = crd["status"]?["conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
            #expect(conditions.contains { $0["type"] == "NamesAccepted" && $0["status"] == "True" })
            let discovery = await api.request("GET", "/apis/golden.example.com/v1")
            expectShape(discovery.json, try Golden.responseBody("discovery-apis-golden.example.com-v1"))
            let path = "/apis/golden.example.com/v1/namespaces/golden/widgets"
            let widget = try await api.create(
                path,
                [
                    "apiVersion": "golden.example.com/v1", "kind": "Widget", "metadata": ["name": "w1"],
                    "spec": ["size": 3],
                ]
            )
            expectShape(widget, try Golden.responseBody("cr-create"))
            let invalid = await api.request(
                "POST",
                path,
                json: [
                    "apiVersion": "golden.example.com/v1", "kind": "Widget", "metadata": ["name": "w2"],
                    "spec": ["size": 0],
                ]
            )
            #expect(invalid.status == 422)
            #expect(invalid.json == (try Golden.responseBody("cr-create-invalid")), "\(invalid.text)")
            let list = await api.request("GET", path)
            expectShape(list.json, try Golden.responseBody("cr-list"))
            let table = await api.request("GET", path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
            #expect(table.json["columnDefinitions"]?[1]?["name"] == "Size")
            #expect(table.json["rows"]?[0]?["cells"]?[1] == 3)
            let smp = await api.request(
                "PATCH",
                "\(path)/w1",
                json: ["spec": ["size": 4]],
                contentType: "application/strategic-merge-patch+json"
            )
            #expect(smp.status == 415)
            let clusterPath = await api.request("GET", "/apis/golden.example.com/v1/widgets")
            #expect(clusterPath.status == 200)
            #expect(
                await api.request(
                    "DELETE",
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.golden.example.com"
                ).status == 200
            )
            #expect(await api.request("GET", path).status == 404)
        }
    }

    @Test func ownerReferencesAreCollected() async throws {
        try await withTestSandbox(nodes: 0) { _, api in
            try await api.namespace("gc")
            let owner = try await api.create("/api/v1/namespaces/gc/configmaps", ["metadata": ["name": "owner"]])
            let reference: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]?["uid"] ?? "",
            ]
            try await api.create(
                "/api/v1/namespaces/gc/secrets",
                ["metadata": ["name": "dependent", "ownerReferences": [reference]]]
            )
            #expect(await api.request("DELETE", "/api/v1/namespaces/gc/configmaps/owner").status == 200)
            try await waitUntil("secret dependent collected") {
                await api.request("GET", "/api/v1/namespaces/gc/secrets/dependent").status == 404
            }
            #expect(await api.request("DELETE", "/api/v1/namespaces/gc").status == 200)
            try await waitUntil("namespace gc gone") { await api.request("GET", "/api/v1/namespaces/gc").status == 404 }
        }
    }
}
