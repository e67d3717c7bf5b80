import Foundation
import Kubernetes
import Testing

@testable import KubeSandbox

/// Discovery, list, table and watch responses have the golden files' shape.
struct APIShapeTests {
    @Test func discoveryDocuments() async throws {
        try await withTestSandbox { _, api in
            for (path, golden) in [
                ("/version", "discovery-version"), ("/api", "discovery-api"), ("/api/v1", "discovery-api-v1"),
                ("/apis", "discovery-apis"), ("/apis/apps/v1", "discovery-apis-apps-v1"),
                ("/apis/batch/v1", "discovery-apis-batch-v1"),
                ("/apis/storage.k8s.io/v1", "discovery-apis-storage.k8s.io-v1"),
            ] {
                let reply = await api.request("GET", path)
                #expect(reply.status == 200, "\(path)")
                let differences = Golden.shapeDifferences(reply.json, try Golden.responseBody(golden))
                #expect(differences.isEmpty, "\(path): \(differences)")
            }
            let v1 = await api.request("GET", "/api/v1").json
            let names = Set((v1["resources"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            for required in [
                "namespaces", "pods", "pods/status", "configmaps", "secrets", "persistentvolumeclaims", "nodes",
            ] {
                #expect(names.contains(required), "\(required)")
            }
            let groups =
                await api.request("GET", "/apis").json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                ?? []
            for group in [
                "apps", "batch", "velero.io", "snapshot.storage.k8s.io", "apiextensions.k8s.io", "policy",
                "autoscaling",
            ] {
                #expect(groups.contains(group), "\(group)")
            }
            let velero = await api.request("GET", "/apis/velero.io").json
            #expect(velero["preferredVersion"]?["version"] == "v1")
        }
    }

    @Test func aggregatedDiscoveryNegotiation() async throws {
        try await withTestSandbox { _, api in
            let accept132 =
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
            let apis = await api.request("GET", "/apis", accept: accept132)
            #expect(
                apis.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )
            #expect(apis.headers["Vary"] == "Accept")
            var expected = try Golden.responseBody("discovery-aggregated-apis-v2-first")
            expected["apiVersion"] = "apidiscovery.k8s.io/v2"
            // Optional members (categories, subresources) are compared where both have them.
            expected[path: ["items"]] = .array(
                (expected["items"]?.arrayValue ?? []).filter { $0["metadata"]?["name"] == "apps" }
            )
            expectShape(apis.json, expected)
            let apps = apis.json["items"]?.arrayValue?.first { $0["metadata"]?["name"] == "apps" }
            let deployments = apps?["versions"]?[0]?["resources"]?.arrayValue?.first { $0["resource"] == "deployments" }
            #expect(deployments?["subresources"]?.arrayValue?.count == 2)
            let beta = await api.request(
                "GET",
                "/api",
                accept: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
            )
            #expect(beta.json["apiVersion"] == "apidiscovery.k8s.io/v2beta1")
            expectShape(beta.json, try Golden.responseBody("discovery-aggregated-api"))
            let legacy = await api.request("GET", "/api")
            #expect(legacy.json["kind"] == "APIVersions")
        }
    }

    @Test func listPagesSelectorsAndTable() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("golden")
            let path = "/api/v1/namespaces/golden/configmaps"
            for index in 0..<7 {
                try await api.create(
                    path,
                    [
                        "metadata": ["name": .string("cm-\(index)"), "labels": ["tier": index % 2 == 0 ? "a" : "b"]],
                        "data": ["index": .string("\(index)")],
                    ]
                )
            }
            let page1 = await api.request("GET", "\(path)?limit=2")
            expectShape(page1.json, try Golden.responseBody("list-configmaps-page1"))
            #expect(page1.json["metadata"]?["remainingItemCount"] == 5)
            #expect(page1.json["items"]?[0]?["kind"] == nil)
            var names: [String] = []
            var next = page1
            while true {
                names += (next.json["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }
                guard let token = next.json["metadata"]?["continue"]?.stringValue else { break }
                next = await api.request("GET", "\(path)?limit=2&continue=\(token)")
                #expect(next.status == 200)
            }
            #expect(names == (0..<7).map { "cm-\($0)" })
            let tierA = await api.request("GET", "\(path)?labelSelector=tier%3Da").json["items"]?.arrayValue ?? []
            #expect(tierA.count == 4)
            let set =
                await api.request("GET", "\(path)?labelSelector=tier+in+%28a%2Cb%29%2Ctier%21%3Db").json["items"]?
                .arrayValue ?? []
            #expect(set.count == 4)
            let field =
                await api.request("GET", "\(path)?fieldSelector=metadata.name%3Dcm-1").json["items"]?.arrayValue ?? []
            #expect(field.count == 1)
            let badField = await api.request("GET", "\(path)?fieldSelector=spec.nope%3Dx")
            #expect(badField.status == 400)
            let table = await api.request(
                "GET",
                "\(path)?limit=500",
                accept:
                    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
            )
            expectShape(table.json, try Golden.responseBody("list-configmaps-table"))
            #expect(table.json["rows"]?.arrayValue?.count == 7)
            let partial = await api.request(
                "GET",
                "\(path)?limit=2",
                accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
            )
            expectShape(partial.json, try Golden.responseBody("list-configmaps-partialobjectmetadata"))
            let all = await api.request("GET", "/api/v1/configmaps?limit=3")
            expectShape(all.json, try Golden.responseBody("list-configmaps-all-namespaces-limit3"))
        }
    }

    @Test func watchEventsAndBookmarks() async throws {
        try await withTestSandbox { sandbox, api in
            try await api.namespace("golden")
            let path = "/api/v1/namespaces/golden/configmaps"
            let start = await api.request("GET", path).json["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            var created = try await api.create(path, ["metadata": ["name": "watched"], "data": ["v": "1"]])
            created["data"] = ["v": "2"]
            #expect(await api.request("PUT", "\(path)/watched", json: created).status == 200)
            #expect(await api.request("DELETE", "\(path)/watched").status == 200)
            let watch = await api.request(
                "GET",
                "\(path)?watch=true&resourceVersion=\(start)&allowWatchBookmarks=true&timeoutSeconds=1"
            )
            let events = watch.lines
            #expect(events.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "MODIFIED", "DELETED", "BOOKMARK"])
            let golden = try #require(try Golden.exchange("watch-configmaps")["response"]?["events"]?.arrayValue)
            for (event, expected) in zip(events, golden) {
                #expect(Golden.shapeDifferences(event, expected).isEmpty, "\(event)")
            }
            let versions = events.compactMap {
                $0["object"]?["metadata"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) }
            }
            #expect(versions == versions.sorted())
            _ = sandbox
        }
    }

    @Test func createDefaultsAndDryRun() async throws {
        try await withTestSandbox { _, api in
            try await api.namespace("golden")
            let namespace = await api.request("GET", "/api/v1/namespaces/golden").json
            expectShape(namespace, try Golden.responseBody("ns-get"))
            let secret = try await api.create(
                "/api/v1/namespaces/golden/secrets",
                ["metadata": ["name": "creds"], "stringData": ["user": "alice"]]
            )
            #expect(secret["data"]?["user"] == "YWxpY2U=")
            #expect(secret["stringData"] == nil)
            let service = try await api.create(
                "/api/v1/namespaces/golden/services",
                [
                    "metadata": ["name": "web"],
                    "spec": ["selector": ["app": "web"], "ports": [["port": 80, "targetPort": 8080]]],
                ]
            )
            expectShape(service, try Golden.responseBody("service-create"))
            let dry = await api.request(
                "POST",
                "/api/v1/namespaces/golden/configmaps?dryRun=All",
                json: ["metadata": ["generateName": "dry-"], "data": ["k": "v"]]
            )
            #expect(dry.status == 201)
            let dryName = try #require(dry.json["metadata"]?["name"]?.stringValue)
            #expect(dryName.hasPrefix("dry-") && dryName.count == 9)
            #expect(await api.request("GET", "/api/v1/namespaces/golden/configmaps/\(dryName)").status == 404)
            let deployment = try await api.create(
                "/apis/apps/v1/namespaces/golden/deployments",
                [
                    "metadata": ["name": "web"],
                    "spec": [
                        "selector": ["matchLabels": ["app": "web"]],
                        "template": [
                            "metadata": ["labels": ["app": "web"]],
                            "spec": ["containers": [["name": "web", "image": "nginx"]]],
                        ],
                    ],
                ]
            )
            #expect(deployment["metadata"]?["generation"] == 1)
            let patched = await api.request(
                "PATCH",
                "/apis/apps/v1/namespaces/golden/deployments/web",
                json: ["spec": ["template": ["spec": ["containers": [["name": "web", "image": "nginx:2"]]]]]],
                contentType: "application/strategic-merge-patch+json"
            )
            #expect(patched.status == 200, "\(patched.text)")
            #expect(patched.json["metadata"]?["generation"] == 2)
            let labelOnly = await api.request(
                "PATCH",
                "/apis/apps/v1/namespaces/golden/deployments/web",
                json: ["metadata": ["labels": ["x": "y"]]],
                contentType: "application/merge-patch+json"
            )
            #expect(labelOnly.json["metadata"]?["generation"] == 2)
            let jsonPatch = await api.request(
                "PATCH",
                "/api/v1/namespaces/golden/secrets/creds",
                json: [["op": "add", "path": "/metadata/labels", "value": ["a": "b"]]],
                contentType: "application/json-patch+json"
            )
            #expect(jsonPatch.json["metadata"]?["labels"]?["a"] == "b")
            let foreground = await api.request(
                "DELETE",
                "/apis/apps/v1/namespaces/golden/deployments/web?propagationPolicy=Foreground"
            )
            #expect(foreground.status == 200)
            // status and its managedFields come from kube-controller-manager in the golden capture
            expectShape(
                foreground.json,
                try Golden.responseBody("delete-deployment-foreground"),
                ignoring: Golden.userContent.union(["status", "managedFields"])
            )
            #expect(foreground.json["metadata"]?["finalizers"] == ["foregroundDeletion"])
            let deletedCM = try await api.create("/api/v1/namespaces/golden/configmaps", ["metadata": ["name": "cm-4"]])
            let status = await api.request("DELETE", "/api/v1/namespaces/golden/configmaps/cm-4")
            #expect(
                Golden.shapeDifferences(status.json, try Golden.responseBody("delete-configmap"), exactKeys: true)
                    .isEmpty
            )
            #expect(status.json["details"]?["uid"] == deletedCM["metadata"]?["uid"])
        }
    }
}
