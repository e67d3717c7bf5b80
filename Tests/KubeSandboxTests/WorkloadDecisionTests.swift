import Kubernetes
import Testing

@testable import KubeSandbox

/// The workload controllers' pure decisions, without a server.
struct WorkloadDecisionTests {
    @Test func replicaSetCreatesTheMissingPodsAndCountsReadyOnes() {
        let plan = ReplicaSetPlan.decide(
            replicas: 3,
            pods: [WorkloadPod(name: "a", ready: true, phase: "Running"), WorkloadPod(name: "b", phase: "Failed")],
            generation: 2
        )
        #expect(plan.create == 2)
        #expect(plan.delete.isEmpty)
        #expect(plan.status["replicas"] == 1)
        #expect(plan.status["readyReplicas"] == 1)
        #expect(plan.status["availableReplicas"] == 1)
        #expect(plan.status["observedGeneration"] == 2)
    }

    @Test func replicaSetDeletesUnscheduledThenUnreadyThenNewestFirst() {
        let pods = [
            WorkloadPod(name: "old-ready", ready: true, phase: "Running", creationTimestamp: "2026-01-01T00:00:00Z"),
            WorkloadPod(name: "new-ready", ready: true, phase: "Running", creationTimestamp: "2026-01-02T00:00:00Z"),
            WorkloadPod(name: "unready", phase: "Running", creationTimestamp: "2026-01-01T00:00:00Z"),
            WorkloadPod(name: "unscheduled", scheduled: false, creationTimestamp: "2026-01-01T00:00:00Z"),
        ]
        #expect(
            ReplicaSetPlan.decide(replicas: 1, pods: pods, generation: 1).delete == [
                "unscheduled", "unready", "new-ready",
            ]
        )
        let none = ReplicaSetPlan.decide(replicas: 0, pods: [], generation: 1)
        #expect(none.status["replicas"] == 0 && none.status["readyReplicas"] == nil)
    }

    @Test func templateHashIsStableAndSafe() {
        let a: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["image": "nginx:1"]]]]
        let b: JSONValue = ["spec": ["containers": [["image": "nginx:1"]]], "metadata": ["labels": ["app": "web"]]]
        let hash = Workloads.templateHash(a)
        #expect(hash == Workloads.templateHash(b))
        #expect(hash != Workloads.templateHash(a, collisionCount: 1))
        #expect(hash.allSatisfy { NameValidation.suffixAlphabet.contains($0) } && (1...10).contains(hash.count))
    }

    @Test func rollingUpdateSurgesThenScalesTheOldSetDown() {
        let strategy = DeploymentPlan.Strategy(nil, replicas: 4)
        #expect(strategy == .rollingUpdate(maxSurge: 1, maxUnavailable: 1))
        var new = DeploymentReplicaSet(name: "web-new", replicas: 0, revision: 2)
        var old = DeploymentReplicaSet(name: "web-old", replicas: 4, current: 4, ready: 4, available: 4, revision: 1)
        #expect(DeploymentPlan.targets(replicas: 4, strategy: strategy, newSet: new, oldSets: [old]) == ["web-new": 1])
        new.replicas = 1
        new.current = 1
        // The new pod is not available yet: the old set may lose one (maxUnavailable 1) but no more.
        #expect(DeploymentPlan.targets(replicas: 4, strategy: strategy, newSet: new, oldSets: [old]) == ["web-old": 3])
        old.replicas = 3
        old.current = 3
        old.available = 3
        new.available = 1
        #expect(DeploymentPlan.targets(replicas: 4, strategy: strategy, newSet: new, oldSets: [old]) == ["web-new": 2])
        let alone = DeploymentReplicaSet(name: "web-new", replicas: 4, current: 4, available: 4)
        #expect(DeploymentPlan.targets(replicas: 2, strategy: strategy, newSet: alone, oldSets: []) == ["web-new": 2])
    }

    @Test func recreateEmptiesTheOldSetFirst() {
        let new = DeploymentReplicaSet(name: "n", replicas: 0)
        let old = DeploymentReplicaSet(name: "o", replicas: 2, current: 2, available: 2)
        let strategy = DeploymentPlan.Strategy(["type": "Recreate"], replicas: 2)
        #expect(DeploymentPlan.targets(replicas: 2, strategy: strategy, newSet: new, oldSets: [old]) == ["o": 0])
        let gone = DeploymentReplicaSet(name: "o", replicas: 0, current: 0)
        #expect(DeploymentPlan.targets(replicas: 2, strategy: strategy, newSet: new, oldSets: [gone]) == ["n": 2])
    }

    @Test func deploymentStatusReportsACompleteRollout() {
        let new = DeploymentReplicaSet(name: "web-abc", replicas: 2, current: 2, ready: 2, available: 2, revision: 1)
        let status = DeploymentPlan.status(
            replicas: 2,
            strategy: .rollingUpdate(maxSurge: 1, maxUnavailable: 0),
            newSet: new,
            oldSets: [DeploymentReplicaSet(name: "web-old", replicas: 0)],
            generation: 3,
            conditions: [],
            now: "2026-01-01T00:00:00Z"
        )
        #expect(status["observedGeneration"] == 3 && status["updatedReplicas"] == 2 && status["availableReplicas"] == 2)
        #expect(status["unavailableReplicas"] == nil)
        let conditions = status["conditions"]?.arrayValue ?? []
        #expect(conditions.first { $0["type"] == "Available" }?["status"] == "True")
        #expect(conditions.first { $0["type"] == "Progressing" }?["reason"] == "NewReplicaSetAvailable")
        let later = Workloads.setCondition(
            conditions,
            type: "Available",
            status: "True",
            reason: "MinimumReplicasAvailable",
            message: "Deployment has minimum availability.",
            now: "2026-02-02T00:00:00Z",
            updateTime: true
        )
        #expect(later == conditions)
    }

    @Test func statefulSetCreatesOrdinalsInOrder() {
        func pod(_ ordinal: Int, ready: Bool, revision: String = "r1") -> StatefulPod {
            StatefulPod(
                ordinal: ordinal,
                pod: WorkloadPod(name: "db-\(ordinal)", ready: ready, phase: ready ? "Running" : "Pending"),
                revision: revision
            )
        }
        let decide = { (pods: [StatefulPod], replicas: Int, parallel: Bool) in
            StatefulSetPlan.decide(name: "db", replicas: replicas, parallel: parallel, updateRevision: "r1", pods: pods)
        }
        #expect(decide([], 3, false).create == [0])
        #expect(decide([pod(0, ready: false)], 3, false).create.isEmpty)
        #expect(decide([pod(0, ready: true)], 3, false).create == [1])
        #expect(decide([], 3, true).create == [0, 1, 2])
        #expect(decide([pod(0, ready: true), pod(1, ready: true), pod(2, ready: true)], 1, false).delete == ["db-2"])
        #expect(decide([pod(0, ready: true), pod(1, ready: true, revision: "r0")], 2, false).delete == ["db-1"])
        #expect(StatefulSetPlan.claimName("data", set: "db", ordinal: 1) == "data-db-1")
    }

    @Test func daemonSetPlacesOnePodPerEligibleNode() {
        func pod(_ name: String, on node: String, revision: String = "h") -> DaemonPod {
            DaemonPod(node: node, pod: WorkloadPod(name: name, ready: true, phase: "Running"), revision: revision)
        }
        let plan = DaemonSetPlan.decide(
            eligibleNodes: ["n1", "n2", "n3"],
            updateRevision: "h",
            pods: [pod("a", on: "n1"), pod("b", on: "n4")]
        )
        #expect(plan.create == ["n2", "n3"])
        #expect(plan.delete == ["b"])
        #expect(plan.counts["desiredNumberScheduled"] == 3 && plan.counts["currentNumberScheduled"] == 1)
        #expect(plan.counts["numberMisscheduled"] == 1)
        let stale = DaemonSetPlan.decide(eligibleNodes: ["n1"], updateRevision: "h2", pods: [pod("a", on: "n1")])
        #expect(stale.delete == ["a"] && stale.counts["updatedNumberScheduled"] == 0)
    }

    @Test func jobRunsToCompletionOrGivesUp() {
        let running = JobPlan.decide(completions: 3, parallelism: 2, backoffLimit: 1, suspended: false, pods: [])
        #expect(running.create == 2 && running.outcome == .running)
        let lastOne = JobPlan.decide(
            completions: 3,
            parallelism: 2,
            backoffLimit: 1,
            suspended: false,
            pods: [WorkloadPod(name: "a", phase: "Succeeded"), WorkloadPod(name: "b", phase: "Succeeded")]
        )
        #expect(lastOne.create == 1 && lastOne.succeeded == 2)
        let done = JobPlan.decide(
            completions: 1,
            parallelism: 1,
            backoffLimit: 1,
            suspended: false,
            pods: [WorkloadPod(name: "a", phase: "Succeeded")]
        )
        #expect(done.outcome == .complete && done.create == 0)
        let failed = JobPlan.decide(
            completions: 1,
            parallelism: 1,
            backoffLimit: 1,
            suspended: false,
            pods: [
                WorkloadPod(name: "a", phase: "Failed"), WorkloadPod(name: "b", phase: "Failed"),
                WorkloadPod(name: "c", phase: "Running"),
            ]
        )
        #expect(failed.outcome == .failed && failed.delete == ["c"] && failed.failed == 2)
        let status = ClusterController.jobStatus(done, old: nil, now: "2026-01-01T00:00:00Z")
        let types = (status["conditions"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
        #expect(types == ["SuccessCriteriaMet", "Complete"] && status["completionTime"] != nil)
        #expect(status["succeeded"] == 1)
    }
}
