import Kubernetes
import Testing

struct DiscoveryTests {
    static func resource(
        _ name: String,
        _ kind: String,
        namespaced: Bool = true,
        short: [String] = [],
        sub: [String] = []
    ) -> JSONValue {
        [
            "resource": .string(name), "responseKind": ["group": "", "version": "", "kind": .string(kind)],
            "scope": namespaced ? "Namespaced" : "Cluster", "singularResource": .string(kind.lowercased()),
            "verbs": ["get", "list"], "shortNames": .array(short.map(JSONValue.string)),
            "subresources": .array(sub.map { ["subresource": .string($0)] }),
        ]
    }

    /// A trimmed aggregated discovery answer in the shape kube-apiserver sends (APIGroupDiscoveryList).
    static let discovery: APIDiscovery = {
        let core: JSONValue = [
            "kind": "APIGroupDiscoveryList",
            "items": [
                [
                    "metadata": ["name": ""],
                    "versions": [
                        [
                            "version": "v1",
                            "resources": [
                                resource("pods", "Pod", short: ["po"], sub: ["status", "log"]),
                                resource("events", "Event", short: ["ev"]),
                                resource("namespaces", "Namespace", namespaced: false, short: ["ns"]),
                            ],
                        ]
                    ],
                ]
            ],
        ]
        let groups: JSONValue = [
            "kind": "APIGroupDiscoveryList",
            "items": [
                [
                    "metadata": ["name": "apps"],
                    "versions": [
                        [
                            "version": "v1",
                            "resources": [
                                resource("deployments", "Deployment", short: ["deploy"], sub: ["scale", "status"])
                            ],
                        ]
                    ],
                ],
                [
                    "metadata": ["name": "events.k8s.io"],
                    "versions": [["version": "v1", "resources": [resource("events", "Event", short: ["ev"])]]],
                ],
                [
                    "metadata": ["name": "autoscaling"],
                    "versions": [
                        [
                            "version": "v2",
                            "resources": [
                                resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", short: ["hpa"])
                            ],
                        ],
                        [
                            "version": "v1",
                            "resources": [
                                resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", short: ["hpa"])
                            ],
                        ],
                    ],
                ],
            ],
        ]
        return APIDiscovery(groups: APIDiscovery.groups(aggregated: groups) + APIDiscovery.groups(aggregated: core))
    }()

    @Test(arguments: [
        ("deploy", "deployments.v1.apps"),
        ("deployments", "deployments.v1.apps"),
        ("deployment", "deployments.v1.apps"),
        ("Deployment", "deployments.v1.apps"),
        ("deployments.apps", "deployments.v1.apps"),
        ("deployments.v1.apps", "deployments.v1.apps"),
        ("po", "pods.v1"),
        ("pods", "pods.v1"),
        ("ns", "namespaces.v1"),
        ("events", "events.v1"),
        ("ev", "events.v1"),
        ("events.events.k8s.io", "events.v1.events.k8s.io"),
        ("hpa", "horizontalpodautoscalers.v2.autoscaling"),
        ("horizontalpodautoscalers.v1.autoscaling", "horizontalpodautoscalers.v1.autoscaling"),
    ])
    func resolvesLikeKubectl(input: String, expected: String) throws {
        #expect(try Self.discovery.resolve(input).gvr.description == expected)
    }

    @Test func resourceMetadataAndErrors() throws {
        let pods = try Self.discovery.resolve("po")
        #expect(pods.namespaced && pods.kind == "Pod" && pods.subresources == ["status", "log"])
        #expect(try !Self.discovery.resolve("namespaces").namespaced)
        #expect(Self.discovery.groups.first?.name == "")  // core first
        #expect(Self.discovery.resource(apiVersion: "apps/v1", kind: "Deployment")?.name == "deployments")
        #expect(
            Self.discovery.preferredResources.filter { $0.name == "horizontalpodautoscalers" }.map(\.version) == ["v2"]
        )
        let error = try #require(throws: KubeError.self) { try Self.discovery.resolve("widgets") }
        #expect(error.code == .unknownResource)
        #expect(error.message == "the server doesn't have a resource type \"widgets\"")
        #expect(throws: KubeError.self) { try Self.discovery.resolve("deployments.v2.apps") }
    }

    @Test func legacyResourceListFoldsSubresources() {
        let list: JSONValue = [
            "kind": "APIResourceList", "groupVersion": "v1",
            "resources": [
                [
                    "name": "pods", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"],
                    "shortNames": ["po"],
                ],
                ["name": "pods/status", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]],
            ],
        ]
        let resources = APIDiscovery.resources(legacy: list, group: "", version: "v1", preferred: true)
        #expect(resources.count == 1)
        #expect(resources.first?.singularName == "pod")
        #expect(resources.first?.subresources == ["status"])
    }
}

struct KubeErrorTests {
    @Test func decodesStatusWithCauses() throws {
        // the body kube-apiserver returns for an invalid ConfigMap name (reference/k8s-golden/error-422-invalid-name.json)
        let body =
            #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain","reason":"Invalid","details":{"name":"Bad_Name","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value","field":"metadata.name"}]},"code":422}"#
        let error = KubeError.fromResponse(httpStatus: 422, body: Array(body.utf8), context: "create configmaps")
        #expect(error.code == .invalid && error.isInvalid)
        #expect(error.status?.causes.first?.field == "metadata.name")
        #expect(error.status?.name == "Bad_Name")
        #expect(error.status?.raw["reason"] == "Invalid")
        #expect(error.description.hasPrefix("create configmaps: ConfigMap \"Bad_Name\" is invalid"))
    }

    @Test(arguments: [
        (404, "NotFound", KubeError.Code.notFound), (409, "AlreadyExists", .alreadyExists),
        (409, "Conflict", .conflict),
        (410, "Expired", .gone), (403, "Forbidden", .forbidden), (401, "Unauthorized", .unauthorized),
        (429, "TooManyRequests", .tooManyRequests), (500, "InternalError", .serverError),
        (503, "", .serviceUnavailable),
    ])
    func mapsReasonsToCodes(status: Int, reason: String, code: KubeError.Code) {
        let body = #"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"\#(reason)","code":\#(status)}"#
        #expect(KubeError.fromResponse(httpStatus: status, body: Array(body.utf8), context: "x").code == code)
    }

    @Test func nonStatusBodyKeepsText() {
        let error = KubeError.fromResponse(
            httpStatus: 502,
            body: Array("bad gateway".utf8),
            retryAfter: 3,
            context: "get x"
        )
        #expect(error.code == .serverError)
        #expect(error.message.contains("bad gateway"))
        #expect(error.retryAfterSeconds == 3)
    }
}
