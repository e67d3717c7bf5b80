import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// The workload controllers against the real kubectl (`apply`, `scale`, `rollout status`, `wait`).
struct WorkloadControllerTests {
    typealias Kubectl = KubectlTests.Kubectl

    static func deployment(image: String, replicas: Int) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: apps}
        spec:
          replicas: \(replicas)
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: web, image: "\(image)", command: [sleep, infinity]}]
        """
    }

    /// The sandbox, a kubectl on its kubeconfig, namespace `apps`.
    func withKubectl(nodes: Int = 1, _ body: (Kubectl, TestAPI, URL) async throws -> Void) async throws {
        try await withTemporaryDirectory(prefix: "workloads-test") { directory in
            let kubectl = Kubectl(executable: try Kubectl.locate(), directory: directory)
            try await withTestSandbox(nodes: nodes) { sandbox, api in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                try await api.namespace("apps")
                try await body(kubectl, api, directory)
            }
        }
    }

    func apply(_ kubectl: Kubectl, _ yaml: String, in directory: URL) async throws {
        let file = directory.appendingPathComponent("manifest-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        try await kubectl.run("apply", "-f", file.path)
    }

    func items(_ api: TestAPI, _ path: String) async -> [JSONValue] {
        await api.request("GET", path).json["items"]?.arrayValue ?? []
    }

    @Test func deploymentRollsOutScalesAndUpdates() async throws {
        try await withKubectl { kubectl, api, directory in
            try await apply(kubectl, Self.deployment(image: "nginx:1.27", replicas: 2), in: directory)
            try await kubectl.run("rollout", "status", "deployment/web", "-n", "apps", "--timeout=60s")
            let deployment = await api.request("GET", "/apis/apps/v1/namespaces/apps/deployments/web").json
            let sets = await items(api, "/apis/apps/v1/namespaces/apps/replicasets")
            try #require(sets.count == 1)
            let set = sets[0]
            let hash = set["metadata"]?["labels"]?["pod-template-hash"]?.stringValue ?? "?"
            #expect(set["metadata"]?["name"]?.stringValue == "web-\(hash)")
            #expect(set["metadata"]?["ownerReferences"]?[0]?["uid"] == deployment["metadata"]?["uid"])
            #expect(set["metadata"]?["ownerReferences"]?[0]?["controller"] == true)
            #expect(set["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] == "1")
            #expect(deployment["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] == "1")
            #expect(deployment["status"]?["observedGeneration"] == deployment["metadata"]?["generation"])
            #expect(deployment["status"]?["readyReplicas"] == 2 && deployment["status"]?["availableReplicas"] == 2)
            let conditions = deployment["status"]?["conditions"]?.arrayValue ?? []
            #expect(conditions.first { $0["type"] == "Progressing" }?["reason"] == "NewReplicaSetAvailable")
            let pods = await items(api, "/api/v1/namespaces/apps/pods")
            #expect(pods.count == 2)
            for pod in pods {
                let name = pod["metadata"]?["name"]?.stringValue ?? ""
                #expect(name.hasPrefix("web-\(hash)-") && name.count == "web-\(hash)-".count + 5)
                #expect(pod["metadata"]?["ownerReferences"]?[0]?["uid"] == set["metadata"]?["uid"])
                #expect(pod["metadata"]?["ownerReferences"]?[0]?["blockOwnerDeletion"] == true)
                #expect(pod["metadata"]?["labels"]?["pod-template-hash"]?.stringValue == hash)
            }

            try await kubectl.run("patch", "deployment/web", "-n", "apps", "-p", #"{"spec":{"replicas":4}}"#)
            try await kubectl.run("rollout", "status", "deployment/web", "-n", "apps", "--timeout=60s")
            #expect(await items(api, "/api/v1/namespaces/apps/pods").count == 4)
            try await kubectl.run("patch", "deployment/web", "-n", "apps", "-p", #"{"spec":{"replicas":1}}"#)
            try await waitUntil("scaled down to one pod") {
                await items(api, "/api/v1/namespaces/apps/pods").count == 1
            }

            try await apply(kubectl, Self.deployment(image: "nginx:1.28", replicas: 3), in: directory)
            try await kubectl.run("rollout", "status", "deployment/web", "-n", "apps", "--timeout=60s")
            let after = await items(api, "/apis/apps/v1/namespaces/apps/replicasets")
            #expect(after.count == 2)
            let newSet = after.first { $0["metadata"]?["name"]?.stringValue != "web-\(hash)" }
            let oldSet = after.first { $0["metadata"]?["name"]?.stringValue == "web-\(hash)" }
            #expect(newSet?["spec"]?["replicas"] == 3)
            #expect(newSet?["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] == "2")
            #expect(oldSet?["spec"]?["replicas"] == 0)
            try await waitUntil("only the new pods remain") {
                let pods = await items(api, "/api/v1/namespaces/apps/pods")
                return pods.count == 3
                    && pods.allSatisfy { $0["spec"]?["containers"]?[0]?["image"] == "nginx:1.28" }
            }
        }
    }

    @Test func replicaSetAdoptsAMatchingOrphan() async throws {
        try await withKubectl { _, api, _ in
            try await api.create(
                "/api/v1/namespaces/apps/pods",
                [
                    "metadata": ["name": "stray", "labels": ["app": "cache"]],
                    "spec": ["containers": [["name": "c", "image": "redis", "command": ["sleep", "infinity"]]]],
                ]
            )
            let set = try await api.create(
                "/apis/apps/v1/namespaces/apps/replicasets",
                [
                    "metadata": ["name": "cache"],
                    "spec": [
                        "replicas": 2, "selector": ["matchLabels": ["app": "cache"]],
                        "template": [
                            "metadata": ["labels": ["app": "cache"]],
                            "spec": [
                                "containers": [["name": "c", "image": "redis", "command": ["sleep", "infinity"]]]
                            ],
                        ],
                    ],
                ]
            )
            try await waitUntil("two ready pods, the orphan adopted") {
                let status = await api.request("GET", "/apis/apps/v1/namespaces/apps/replicasets/cache").json["status"]
                return status?["readyReplicas"] == 2 && status?["observedGeneration"] == 1
            }
            let stray = await api.request("GET", "/api/v1/namespaces/apps/pods/stray").json
            #expect(stray["metadata"]?["ownerReferences"]?[0]?["uid"] == set["metadata"]?["uid"])
            #expect(await items(api, "/api/v1/namespaces/apps/pods").count == 2)
        }
    }

    @Test func statefulSetMakesOrdinalsWithClaimsThatOutliveThePods() async throws {
        try await withKubectl { kubectl, api, directory in
            let manifest = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: apps}
                spec:
                  serviceName: db
                  replicas: 2
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers:
                      - name: db
                        image: postgres
                        command: [sleep, infinity]
                        volumeMounts: [{name: data, mountPath: /data}]
                  volumeClaimTemplates:
                  - metadata: {name: data}
                    spec:
                      accessModes: [ReadWriteOnce]
                      resources: {requests: {storage: 1Gi}}
                """
            try await apply(kubectl, manifest, in: directory)
            try await kubectl.run("rollout", "status", "statefulset/db", "-n", "apps", "--timeout=60s")
            let pods = await items(api, "/api/v1/namespaces/apps/pods")
            #expect(Set(pods.compactMap { $0["metadata"]?["name"]?.stringValue }) == ["db-0", "db-1"])
            let first = pods.first { $0["metadata"]?["name"] == "db-0" }
            let second = pods.first { $0["metadata"]?["name"] == "db-1" }
            // OrderedReady: db-1 is created only after db-0 is Running and Ready.
            let ready = first?["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
            let readyAt = ready?["lastTransitionTime"]?.stringValue ?? "~"
            #expect(readyAt <= second?["metadata"]?["creationTimestamp"]?.stringValue ?? "")
            #expect(second?["spec"]?["volumes"]?[0]?["persistentVolumeClaim"]?["claimName"] == "data-db-1")
            #expect(second?["spec"]?["hostname"] == "db-1" && second?["spec"]?["subdomain"] == "db")
            let claims = await items(api, "/api/v1/namespaces/apps/persistentvolumeclaims")
            #expect(Set(claims.compactMap { $0["metadata"]?["name"]?.stringValue }) == ["data-db-0", "data-db-1"])
            #expect(claims.allSatisfy { $0["status"]?["phase"] == "Bound" })
            let oldUID = second?["metadata"]?["uid"]
            try await kubectl.run("delete", "pod", "db-1", "-n", "apps", "--wait=false")
            try await waitUntil("db-1 recreated and Running") {
                let pod = await api.request("GET", "/api/v1/namespaces/apps/pods/db-1").json
                return pod["metadata"]?["uid"] != oldUID && pod["status"]?["phase"] == "Running"
            }
            let kept = await api.request("GET", "/api/v1/namespaces/apps/persistentvolumeclaims/data-db-1").json
            #expect(
                kept["metadata"]?["uid"] == claims.first { $0["metadata"]?["name"] == "data-db-1" }?["metadata"]?["uid"]
            )
            try await waitUntil("the StatefulSet's status counts both pods Ready again") {
                let status = await api.request("GET", "/apis/apps/v1/namespaces/apps/statefulsets/db").json["status"]
                return status?["readyReplicas"] == 2 && status?["currentRevision"] == status?["updateRevision"]
            }
        }
    }

    @Test func daemonSetFollowsTheNodesItsSelectorAdmits() async throws {
        try await withKubectl(nodes: 3) { kubectl, api, directory in
            try await kubectl.run("label", "node", "sandbox-node-1", "disk=ssd")
            try await kubectl.run("label", "node", "sandbox-node-2", "disk=ssd")
            let manifest = """
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: apps}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec:
                      nodeSelector: {disk: ssd}
                      terminationGracePeriodSeconds: 1
                      containers: [{name: agent, image: busybox, command: [sleep, infinity]}]
                """
            try await apply(kubectl, manifest, in: directory)
            try await kubectl.run("rollout", "status", "daemonset/agent", "-n", "apps", "--timeout=60s")
            func nodesWithPods() async -> Set<String> {
                Set(
                    await items(api, "/api/v1/namespaces/apps/pods").compactMap { $0["spec"]?["nodeName"]?.stringValue }
                )
            }
            #expect(await nodesWithPods() == ["sandbox-node-1", "sandbox-node-2"])
            let status = await api.request("GET", "/apis/apps/v1/namespaces/apps/daemonsets/agent").json["status"]
            #expect(status?["desiredNumberScheduled"] == 2 && status?["numberReady"] == 2)
            #expect(status?["updatedNumberScheduled"] == 2 && status?["numberAvailable"] == 2)
            try await kubectl.run("label", "node", "sandbox-node-3", "disk=ssd")
            try await waitUntil("a pod on the newly labelled node") {
                await nodesWithPods() == ["sandbox-node-1", "sandbox-node-2", "sandbox-node-3"]
            }
            try await kubectl.run("label", "node", "sandbox-node-1", "disk-")
            try await waitUntil("the pod leaves the unlabelled node") {
                await nodesWithPods() == ["sandbox-node-2", "sandbox-node-3"]
            }
            try await kubectl.run("rollout", "status", "daemonset/agent", "-n", "apps", "--timeout=60s")
        }
    }

    @Test func jobCompletesWhenItsPodsSucceed() async throws {
        try await withKubectl { kubectl, api, directory in
            let manifest = """
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: apps}
                spec:
                  completions: 2
                  parallelism: 1
                  template:
                    spec:
                      restartPolicy: Never
                      containers: [{name: migrate, image: busybox, command: [sleep, infinity]}]
                """
            try await apply(kubectl, manifest, in: directory)
            for round in 1...2 {
                var running: JSONValue = .null
                try await waitUntil("pod \(round) Running") {
                    let pods = await items(api, "/api/v1/namespaces/apps/pods")
                    guard let pod = pods.first(where: { $0["status"]?["phase"] == "Running" }) else { return false }
                    running = pod
                    return pods.count == round
                }
                #expect(running["metadata"]?["labels"]?["batch.kubernetes.io/job-name"] == "migrate")
                var status = running["status"] ?? [:]
                status["phase"] = "Succeeded"
                running["status"] = status
                let name = running["metadata"]?["name"]?.stringValue ?? ""
                let reply = await api.request("PUT", "/api/v1/namespaces/apps/pods/\(name)/status", json: running)
                #expect(reply.status == 200, "\(reply.text)")
            }
            try await kubectl.run("wait", "--for=condition=complete", "job/migrate", "-n", "apps", "--timeout=60s")
            let job = await api.request("GET", "/apis/batch/v1/namespaces/apps/jobs/migrate").json
            #expect(job["status"]?["succeeded"] == 2 && job["status"]?["completionTime"] != nil)
            #expect(await items(api, "/api/v1/namespaces/apps/pods").count == 2)
        }
    }

    @Test func jobFailsPastItsBackoffLimit() async throws {
        try await withKubectl { kubectl, api, _ in
            try await api.create(
                "/apis/batch/v1/namespaces/apps/jobs",
                [
                    "metadata": ["name": "flaky"],
                    "spec": [
                        "backoffLimit": 0,
                        "template": [
                            "spec": [
                                "restartPolicy": "Never",
                                "containers": [["name": "c", "image": "busybox", "command": ["sleep", "infinity"]]],
                            ]
                        ],
                    ],
                ]
            )
            var pod: JSONValue = .null
            try await waitUntil("the Job's pod Running") {
                guard let first = await items(api, "/api/v1/namespaces/apps/pods").first else { return false }
                pod = first
                return first["status"]?["phase"] == "Running"
            }
            pod[path: ["status", "phase"]] = "Failed"
            let name = pod["metadata"]?["name"]?.stringValue ?? ""
            #expect(await api.request("PUT", "/api/v1/namespaces/apps/pods/\(name)/status", json: pod).status == 200)
            try await kubectl.run("wait", "--for=condition=failed", "job/flaky", "-n", "apps", "--timeout=60s")
            let status = await api.request("GET", "/apis/batch/v1/namespaces/apps/jobs/flaky").json["status"]
            #expect(status?["failed"] == 1 && status?["active"] == nil)
        }
    }
}
