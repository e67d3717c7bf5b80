import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// `kubectl scale`, `wait`, `rollout status`, `rollout restart` and `rollout undo` against the sandbox.
extension WorkloadControllerTests {
    static let deploymentsPath = "/apis/apps/v1/namespaces/apps/deployments"

    func replicaSets(_ api: TestAPI) async -> [JSONValue] {
        await items(api, "/apis/apps/v1/namespaces/apps/replicasets")
    }

    @Test func kubectlScalesWaitsOnAndRollsBackADeployment() async throws {
        try await withKubectl(nodes: 3) { kubectl, api, directory in
            try await apply(kubectl, Self.deployment(image: "busybox:1.36", replicas: 2), in: directory)
            try await kubectl.run("wait", "--for=condition=Available", "deployment/web", "-n", "apps", "--timeout=60s")
            try await kubectl.run("scale", "deployment/web", "--replicas=4", "-n", "apps")
            try await kubectl.run("rollout", "status", "deployment/web", "-n", "apps", "--timeout=60s")
            try await kubectl.run(
                "wait",
                "--for=jsonpath={.status.availableReplicas}=4",
                "deployment/web",
                "-n",
                "apps",
                "--timeout=60s"
            )
            let scalePath = "\(Self.deploymentsPath)/web/scale"
            let scale = await api.request("GET", scalePath).json
            #expect(scale["kind"] == "Scale" && scale["apiVersion"] == "autoscaling/v1")
            #expect(scale["metadata"]?["name"] == "web" && scale["metadata"]?["namespace"] == "apps")
            #expect(scale["spec"]?["replicas"] == 4 && scale["status"]?["replicas"] == 4)
            #expect(scale["status"]?["selector"] == "app=web")
            var stale = scale
            stale[path: ["metadata", "resourceVersion"]] = "1"
            stale[path: ["spec", "replicas"]] = 1
            #expect(await api.request("PUT", scalePath, json: stale).status == 409)
            var negative = scale
            negative[path: ["spec", "replicas"]] = -1
            #expect(await api.request("PUT", scalePath, json: negative).status == 422)
            let patched = await api.request(
                "PATCH",
                scalePath,
                raw: #"[{"op":"replace","path":"/spec/replicas","value":2}]"#,
                contentType: "application/json-patch+json"
            )
            #expect(patched.status == 200 && patched.json["spec"]?["replicas"] == 2, "\(patched.text)")
            let scaled = await api.request("GET", "\(Self.deploymentsPath)/web").json
            #expect(scaled["spec"]?["replicas"] == 2 && scaled["metadata"]?["generation"] == 3)
            try await kubectl.run("rollout", "status", "deployment/web", "-n", "apps", "--timeout=60s")

            let first = try #require(await replicaSets(api).first)
            let firstName = first["metadata"]?["name"]?.stringValue ?? "?"
            try await kubectl.run("rollout", "restart", "deployment/web", "-n", "apps")
            try await kubectl.run("rollout", "status", "deployment/web", "-n", "apps", "--timeout=60s")
            let restarted = await replicaSets(api)
            #expect(restarted.count == 2)
            let second = restarted.first { $0["metadata"]?["name"]?.stringValue != firstName }
            #expect(second?["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] == "2")
            let templateAnnotations = second?["spec"]?["template"]?["metadata"]?["annotations"]
            #expect(templateAnnotations?["kubectl.kubernetes.io/restartedAt"] != nil)
            try await waitUntil("only the restarted pods remain") {
                let pods = await items(api, "/api/v1/namespaces/apps/pods")
                let names = pods.compactMap { $0["metadata"]?["name"]?.stringValue }
                return names.count == 2 && names.allSatisfy { !$0.hasPrefix(firstName) }
            }

            try await kubectl.run("rollout", "undo", "deployment/web", "-n", "apps")
            try await kubectl.run("rollout", "status", "deployment/web", "-n", "apps", "--timeout=60s")
            let undone = await replicaSets(api)
            #expect(undone.count == 2)
            let back = undone.first { $0["metadata"]?["name"]?.stringValue == firstName }
            #expect(back?["spec"]?["replicas"] == 2)
            #expect(back?["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] == "3")
            #expect(back?["metadata"]?["annotations"]?["deployment.kubernetes.io/revision-history"] == "1")
            let deployment = await api.request("GET", "\(Self.deploymentsPath)/web").json
            #expect(deployment["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] == "3")
            let history = try await kubectl.run("rollout", "history", "deployment/web", "-n", "apps")
            #expect(history.contains("2") && history.contains("3"), "\(history)")
        }
    }

    @Test func minReadySecondsHoldsAvailabilityBack() async throws {
        try await withKubectl { kubectl, api, directory in
            let manifest = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: slow, namespace: apps}
                spec:
                  replicas: 2
                  minReadySeconds: 1
                  selector: {matchLabels: {app: slow}}
                  template:
                    metadata: {labels: {app: slow}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers: [{name: slow, image: busybox, command: [sleep, infinity]}]
                """
            try await apply(kubectl, manifest, in: directory)
            try await kubectl.run("wait", "--for=condition=Available", "deployment/slow", "-n", "apps", "--timeout=60s")
            try await kubectl.run("rollout", "status", "deployment/slow", "-n", "apps", "--timeout=60s")
            let set = try #require(await replicaSets(api).first)
            #expect(set["spec"]?["minReadySeconds"] == 1 && set["status"]?["availableReplicas"] == 2)
            // Every pod had been Ready for over a second when the set counted it available.
            let pods = await items(api, "/api/v1/namespaces/apps/pods")
            let status = await api.request("GET", "\(Self.deploymentsPath)/slow").json["status"]
            let available = status?["conditions"]?.arrayValue?.first { $0["type"] == "Available" }
            let availableAt = available?["lastTransitionTime"]?.stringValue ?? ""
            for pod in pods {
                let ready = pod["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
                let readyAt = ready?["lastTransitionTime"]?.stringValue ?? "~"
                #expect(readyAt < availableAt, "ready \(readyAt), available \(availableAt)")
            }
        }
    }

    @Test func rolloutStatusFailsOnceTheProgressDeadlinePasses() async throws {
        try await withKubectl { kubectl, api, directory in
            // No node has the label: the pods stay Pending and the rollout never progresses past its start.
            let manifest = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: stuck, namespace: apps}
                spec:
                  replicas: 1
                  progressDeadlineSeconds: 2
                  selector: {matchLabels: {app: stuck}}
                  template:
                    metadata: {labels: {app: stuck}}
                    spec:
                      nodeSelector: {disk: none}
                      terminationGracePeriodSeconds: 1
                      containers: [{name: stuck, image: busybox, command: [sleep, infinity]}]
                """
            try await apply(kubectl, manifest, in: directory)
            let output = try await kubectl.run(
                "rollout",
                "status",
                "deployment/stuck",
                "-n",
                "apps",
                "--timeout=60s",
                expectSuccess: false
            )
            #expect(output.contains("exceeded its progress deadline"), "\(output)")
            let status = await api.request("GET", "\(Self.deploymentsPath)/stuck").json["status"]
            let progressing = status?["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }
            #expect(progressing?["status"] == "False" && progressing?["reason"] == "ProgressDeadlineExceeded")
        }
    }

    @Test func kubectlScalesAStatefulSetAndWaitsForIt() async throws {
        try await withKubectl(nodes: 2) { kubectl, api, directory in
            let manifest = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: apps}
                spec:
                  serviceName: db
                  replicas: 1
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers: [{name: db, image: busybox, command: [sleep, infinity]}]
                """
            try await apply(kubectl, manifest, in: directory)
            try await kubectl.run("rollout", "status", "statefulset/db", "-n", "apps", "--timeout=60s")
            try await kubectl.run("scale", "statefulset/db", "--replicas=3", "-n", "apps")
            try await kubectl.run("rollout", "status", "statefulset/db", "-n", "apps", "--timeout=60s")
            try await kubectl.run(
                "wait",
                "--for=jsonpath={.status.availableReplicas}=3",
                "statefulset/db",
                "-n",
                "apps",
                "--timeout=60s"
            )
            let set = await api.request("GET", "/apis/apps/v1/namespaces/apps/statefulsets/db").json
            let status = set["status"]
            #expect(status?["replicas"] == 3 && status?["readyReplicas"] == 3 && status?["updatedReplicas"] == 3)
            #expect(status?["currentReplicas"] == 3 && status?["currentRevision"] == status?["updateRevision"])
            #expect(status?["observedGeneration"] == set["metadata"]?["generation"])
            let pods = await items(api, "/api/v1/namespaces/apps/pods")
            #expect(pods.count == 3)
            let revisions = Set(pods.map { $0["metadata"]?["labels"]?["controller-revision-hash"] })
            #expect(revisions == [status?["updateRevision"]])
            let scale = await api.request("GET", "/apis/apps/v1/namespaces/apps/statefulsets/db/scale").json
            #expect(scale["spec"]?["replicas"] == 3 && scale["status"]?["selector"] == "app=db")
        }
    }
}
