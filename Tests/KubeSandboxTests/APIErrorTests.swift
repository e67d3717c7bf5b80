import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// Each error case answers the golden status code with a Status body shaped like the real server's.
struct APIErrorTests {
    private func expectStatus(_ reply: TestAPI.Reply, golden: String, exactBody: Bool = false) throws {
        #expect(reply.status == (try Golden.status(golden)), "\(golden): \(reply.text)")
        let expected = try Golden.responseBody(golden)
        #expect(reply.headers["Content-Type"] == "application/json")
        if exactBody {
            #expect(reply.json == expected, "\(golden): \(reply.text)")
        } else {
            let differences = Golden.shapeDifferences(reply.json, expected, exactKeys: true)
            #expect(differences.isEmpty, "\(golden): \(differences) in \(reply.text)")
        }
    }

    @Test func authenticationErrors() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("golden")
            let path = "/api/v1/namespaces/golden/configmaps"
            try expectStatus(
                await api.request("GET", path, token: "not-the-token"),
                golden: "error-401-bad-token",
                exactBody: true
            )
            try expectStatus(
                await api.request("GET", path, token: .some(nil)),
                golden: "error-403-anonymous-no-token",
                exactBody: true
            )
            #expect(await api.request("GET", "/version", token: .some(nil)).status == 200)
            #expect(await api.request("GET", "/healthz", token: .some(nil)).text == "ok")
        }
    }

    @Test func notFoundAndMethodErrors() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("golden")
            try expectStatus(
                await api.request("GET", "/api/v1/namespaces/golden/configmaps/does-not-exist"),
                golden: "error-404-get-missing",
                exactBody: true
            )
            try expectStatus(
                await api.request("GET", "/api/v1/namespaces/golden/widgets"),
                golden: "error-404-unknown-resource",
                exactBody: true
            )
            let cm: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "x", "namespace": "nope"],
                "data": ["k": "v"],
            ]
            try expectStatus(
                await api.request("POST", "/api/v1/namespaces/nope/configmaps", json: cm),
                golden: "error-404-missing-namespace",
                exactBody: true
            )
            try expectStatus(
                await api.request("PUT", "/api/v1/namespaces/golden/configmaps", json: cm),
                golden: "error-405-method-not-allowed",
                exactBody: true
            )
            #expect(await api.request("POST", "/api/v1/configmaps", json: cm).status == 405)
            #expect(await api.request("GET", "/api/v1/configmaps/x").status == 404)
            #expect(await api.request("GET", "/api/v1/configmaps").status == 200)
        }
    }

    @Test func conflictErrors() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("golden")
            let path = "/api/v1/namespaces/golden/configmaps"
            let cm: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm-0", "namespace": "golden"],
                "data": ["k": "v"],
            ]
            try await api.create(path, cm)
            try expectStatus(
                await api.request("POST", path, json: cm),
                golden: "error-409-already-exists",
                exactBody: true
            )

            var created = try await api.create(path, ["metadata": ["name": "cm-1"], "data": ["k": "v"]])
            created["data"] = ["k": "w"]
            let updated = await api.request("PUT", "\(path)/cm-1", json: created)
            #expect(updated.status == 200)
            #expect(updated.json["metadata"]?["resourceVersion"] != created["metadata"]?["resourceVersion"])
            try expectStatus(
                await api.request("PUT", "\(path)/cm-1", json: created),
                golden: "error-409-conflict-stale-rv",
                exactBody: true
            )

            let options: JSONValue = [
                "apiVersion": "v1", "kind": "DeleteOptions",
                "preconditions": ["uid": "00000000-0000-0000-0000-000000000000"],
            ]
            try expectStatus(
                await api.request("DELETE", "\(path)/cm-1", json: options),
                golden: "error-409-delete-precondition"
            )
        }
    }

    @Test func badInputErrors() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("golden")
            let path = "/api/v1/namespaces/golden/configmaps"
            let badName: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "Bad_Name", "namespace": "golden"],
                "data": ["k": "v"],
            ]
            try expectStatus(
                await api.request("POST", path, json: badName),
                golden: "error-422-invalid-name",
                exactBody: true
            )
            try expectStatus(await api.request("POST", path, raw: "{not json"), golden: "error-400-malformed-json")
            let mismatch: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "mismatch", "namespace": "default"],
                "data": ["k": "v"],
            ]
            try expectStatus(
                await api.request("POST", path, json: mismatch),
                golden: "error-400-namespace-mismatch",
                exactBody: true
            )
            try await api.create(path, ["metadata": ["name": "cm-2"]])
            try expectStatus(
                await api.request("PATCH", "\(path)/cm-2", json: ["data": ["a": "b"]]),
                golden: "error-415-unsupported-patch-type",
                exactBody: true
            )
            let wrongKind: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "kind-mismatch"]]
            let kindReply = await api.request("POST", path, json: wrongKind)
            #expect(kindReply.status == 422)
            #expect(kindReply.json["reason"] == "Invalid")
            let noName = await api.request("POST", path, json: ["metadata": [:]])
            #expect(noName.status == 422)
            let huge =
                "{\"metadata\":{\"name\":\"big\"},\"data\":{\"k\":\"" + String(repeating: "x", count: 3 * 1024 * 1024)
                + "\"}}"
            let tooLarge = await api.request("POST", path, raw: huge)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.json["kind"] == "Status")
            let deployment: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "bad"],
                "spec": [
                    "selector": ["matchLabels": ["app": "x"]],
                    "template": ["metadata": ["labels": ["app": "y"]], "spec": [:]],
                ],
            ]
            try expectStatus(
                await api.request("POST", "/apis/apps/v1/namespaces/golden/deployments", json: deployment),
                golden: "error-422-invalid-deployment",
                exactBody: true
            )
        }
    }

    /// Events are validated as kube-apiserver's `legacyValidateEvent` does: a restore that maps an Event into
    /// another namespace, or an Event with `eventTime` but no reporting fields, is refused with 422.
    @Test func eventsAreValidatedAsTheRealServerDoes() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("app")
            let path = "/api/v1/namespaces/app/events"
            let moved = await api.request(
                "POST",
                path,
                json: [
                    "metadata": ["name": "web.1"], "reason": "Started",
                    "involvedObject": ["kind": "Pod", "name": "web", "namespace": "old"],
                ]
            )
            #expect(moved.status == 422)
            #expect(
                moved.json["message"]?.stringValue
                    == "Event \"web.1\" is invalid: involvedObject.namespace: Invalid value: \"old\": does not match "
                    + "event.namespace"
            )
            let incomplete = await api.request(
                "POST",
                path,
                json: [
                    "metadata": ["name": "web.2"], "eventTime": "2026-12-07T07:00:00.000000Z",
                    "involvedObject": ["kind": "Pod", "name": "web", "namespace": "app"],
                ]
            )
            #expect(incomplete.status == 422)
            let fields = (incomplete.json["details"]?["causes"]?.arrayValue ?? []).compactMap {
                $0["field"]?.stringValue
            }
            #expect(
                fields == [
                    "reportingController", "reportingController", "reportingController", "reportingInstance", "action",
                    "reason",
                ]
            )
            // What a kubelet writes passes, and an update that moves it is refused too.
            let good: JSONValue = [
                "metadata": ["name": "web.3"], "reason": "Started", "type": "Normal",
                "involvedObject": ["kind": "Pod", "name": "web", "namespace": "app"],
            ]
            #expect(await api.request("POST", path, json: good).status == 201)
            var stored = await api.request("GET", "\(path)/web.3").json
            stored[path: ["involvedObject", "namespace"]] = "elsewhere"
            #expect(await api.request("PUT", "\(path)/web.3", json: stored).status == 422)
            let modern: JSONValue = [
                "metadata": ["name": "web.4"], "eventTime": "2026-12-07T07:00:00.000000Z", "reason": "Pulled",
                "action": "Pulling", "reportingComponent": "kubelet", "reportingInstance": "node-1",
                "involvedObject": ["kind": "Pod", "name": "web", "namespace": "app"],
            ]
            #expect(await api.request("POST", path, json: modern).status == 201)
        }
    }

    @Test func terminatingNamespaceRejectsCreates() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("golden-term")
            try await api.create(
                "/api/v1/namespaces/golden-term/configmaps",
                ["metadata": ["name": "held", "finalizers": ["example.com/hold"]]]
            )
            let deleted = await api.request("DELETE", "/api/v1/namespaces/golden-term")
            #expect(deleted.status == 200)
            #expect(deleted.json["status"]?["phase"] == "Terminating")
            #expect(deleted.json["metadata"]?["deletionTimestamp"]?.stringValue != nil)
            let late: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "late", "namespace": "golden-term"],
                "data": ["k": "v"],
            ]
            try expectStatus(
                await api.request("POST", "/api/v1/namespaces/golden-term/configmaps", json: late),
                golden: "error-403-terminating-namespace",
                exactBody: true
            )
        }
    }

    @Test func expiredContinueTokenAndWatch() async throws {
        let configuration = SandboxConfiguration(port: 0, nodes: 0, watchHistory: 100, customResources: .velero)
        try await withSandbox(configuration) { sandbox in
            let api = TestAPI(sandbox: sandbox)
            try await api.namespace("golden")
            let path = "/api/v1/namespaces/golden/configmaps"
            for index in 0..<3 { try await api.create(path, ["metadata": ["name": .string("cm-\(index)")]]) }
            let page = await api.request("GET", "\(path)?limit=2")
            let token = try #require(page.json["metadata"]?["continue"]?.stringValue)
            for index in 0..<150 { try await api.create(path, ["metadata": ["name": .string("filler-\(index)")]]) }
            let expired = await api.request("GET", "\(path)?limit=2&continue=\(token)")
            try expectStatus(expired, golden: "error-410-expired-continue")
            #expect(expired.json["metadata"]?["continue"]?.stringValue != nil)

            let watch = await api.request("GET", "\(path)?watch=true&resourceVersion=1&timeoutSeconds=1")
            #expect(watch.status == 200)
            let events = watch.lines
            let golden = try #require(
                try Golden.exchange("watch-410-too-old-rv")["response"]?["body_or_events"]?.arrayValue
            )
            #expect(events.count == 1)
            #expect(Golden.shapeDifferences(events.first, golden[0], exactKeys: true).isEmpty, "\(watch.text)")
            #expect(events.first?["object"]?["code"] == 410)
        }
    }
}
