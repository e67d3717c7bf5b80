import Foundation
import Kubernetes
import Testing

@testable import KubeSandbox

/// Status computation and the rolling update, as pure decisions over a simulated cluster.
struct WorkloadStatusTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func readyPod(_ name: String, since: Date) -> WorkloadPod {
        WorkloadPod(name: name, ready: true, phase: "Running", readySince: since)
    }

    @Test func podsTurnAvailableOnlyAfterMinReadySeconds() {
        let pods = [readyPod("a", since: Self.start), readyPod("b", since: Self.start.addingTimeInterval(2))]
        let early = ReplicaSetPlan.decide(
            replicas: 2,
            pods: pods,
            generation: 1,
            minReadySeconds: 10,
            now: Self.start.addingTimeInterval(5)
        )
        #expect(early.status["readyReplicas"] == 2 && early.status["availableReplicas"] == nil)
        #expect(early.recheck == Self.start.addingTimeInterval(11))
        let half = ReplicaSetPlan.decide(
            replicas: 2,
            pods: pods,
            generation: 1,
            minReadySeconds: 10,
            now: Self.start.addingTimeInterval(11)
        )
        #expect(half.status["availableReplicas"] == 1 && half.recheck == Self.start.addingTimeInterval(13))
        let none = ReplicaSetPlan.decide(replicas: 2, pods: pods, generation: 1, minReadySeconds: 0, now: Self.start)
        #expect(none.status["availableReplicas"] == 2 && none.recheck == nil)
        // A Ready condition without a transition time never counts once minReadySeconds is set.
        let timeless = WorkloadPod(name: "c", ready: true, phase: "Running")
        #expect(!timeless.available(minReadySeconds: 1, now: Self.start))
        #expect(!WorkloadPod(name: "d", phase: "Running").available(minReadySeconds: 0, now: Self.start))
    }

    @Test func podReadinessComesFromItsReadyCondition() {
        let pod: JSONValue = [
            "metadata": ["name": "p"], "spec": ["nodeName": "n1"],
            "status": [
                "phase": "Running",
                "conditions": [["type": "Ready", "status": "True", "lastTransitionTime": "2027-01-15T08:00:00Z"]],
            ],
        ]
        let parsed = WorkloadPod(pod, deleting: false)
        #expect(parsed.ready && parsed.readySince == (try? Date("2027-01-15T08:00:00Z", strategy: .iso8601)))
        var unready = pod
        unready[path: ["status", "conditions"]] = [["type": "Ready", "status": "False"]]
        #expect(!WorkloadPod(unready, deleting: false).ready)
        var running = pod
        running[path: ["status", "conditions"]] = nil
        #expect(!WorkloadPod(running, deleting: false).ready)
    }

    /// Plays a rollout of 4 replicas (maxSurge 1, maxUnavailable 1) step by step, each new pod Ready and
    /// available at once and each removed pod gone at once: the bounds hold at every step and it ends with
    /// only the new set.
    @Test(arguments: [(1, 0), (1, 1), (0, 1), (2, 2)])
    func rollingUpdateKeepsItsBudget(surge: Int, unavailable: Int) {
        let replicas = 4
        let strategy = DeploymentPlan.Strategy(
            ["rollingUpdate": ["maxSurge": .int(Int64(surge)), "maxUnavailable": .int(Int64(unavailable))]],
            replicas: replicas
        )
        var new = DeploymentReplicaSet(name: "new", replicas: 0, revision: 2)
        var old = DeploymentReplicaSet(name: "old", replicas: 4, current: 4, ready: 4, available: 4, revision: 1)
        for _ in 0..<50 {
            let targets = DeploymentPlan.targets(replicas: replicas, strategy: strategy, newSet: new, oldSets: [old])
            if targets.isEmpty { break }
            if let size = targets["new"] { new.replicas = size }
            if let size = targets["old"] { old.replicas = size }
            #expect(new.replicas + old.replicas <= replicas + surge)
            // Old pods go at once; the minimum available holds before the new ones come up.
            old.current = old.replicas
            old.available = old.replicas
            #expect(old.available + new.available >= replicas - unavailable)
            new.current = new.replicas
            new.available = new.replicas
        }
        #expect(new.replicas == replicas && old.replicas == 0)
        let status = DeploymentPlan.status(
            replicas: replicas,
            strategy: strategy,
            newSet: new,
            oldSets: [old],
            generation: 2,
            conditions: [],
            now: "2027-01-01T00:00:00Z"
        )
        #expect(status["updatedReplicas"] == 4 && status["replicas"] == 4 && status["availableReplicas"] == 4)
    }

    @Test func rolloutInProgressIsReportedAsKubernetesDoes() {
        let new = DeploymentReplicaSet(name: "web-new", replicas: 2, current: 2, ready: 1, available: 1, revision: 2)
        let old = DeploymentReplicaSet(name: "web-old", replicas: 2, current: 2, ready: 2, available: 2, revision: 1)
        let status = DeploymentPlan.status(
            replicas: 3,
            strategy: .rollingUpdate(maxSurge: 1, maxUnavailable: 0),
            newSet: new,
            oldSets: [old],
            generation: 2,
            conditions: [],
            now: "2027-01-01T00:00:00Z"
        )
        #expect(status["replicas"] == 4 && status["updatedReplicas"] == 2 && status["readyReplicas"] == 3)
        #expect(status["availableReplicas"] == 3 && status["unavailableReplicas"] == 1)
        let conditions = status["conditions"]?.arrayValue ?? []
        let progressing = conditions.first { $0["type"] == "Progressing" }
        #expect(progressing?["reason"] == "NewReplicaSetCreated")
        #expect(progressing?["message"] == "Created new replica set \"web-new\"")
        #expect(conditions.first { $0["type"] == "Available" }?["reason"] == "MinimumReplicasAvailable")
        let paused = DeploymentPlan.status(
            replicas: 3,
            strategy: .rollingUpdate(maxSurge: 1, maxUnavailable: 0),
            newSet: new,
            oldSets: [old],
            generation: 2,
            conditions: conditions,
            now: "2027-01-01T00:01:00Z",
            paused: true
        )
        let pausedCondition = paused["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }
        #expect(pausedCondition?["status"] == "Unknown" && pausedCondition?["reason"] == "DeploymentPaused")
        #expect(pausedCondition?["lastTransitionTime"] == "2027-01-01T00:01:00Z")
        let resumed = DeploymentPlan.status(
            replicas: 3,
            strategy: .rollingUpdate(maxSurge: 1, maxUnavailable: 0),
            newSet: new,
            oldSets: [old],
            generation: 2,
            conditions: paused["conditions"]?.arrayValue ?? [],
            now: "2027-01-01T00:02:00Z",
            previous: paused,
            progressDeadlineSeconds: 600
        )
        let resumedCondition = resumed["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }
        #expect(resumedCondition?["status"] == "Unknown" && resumedCondition?["reason"] == "DeploymentResumed")
        let resumedConditions = resumed["conditions"]?.arrayValue ?? []
        let due = DeploymentPlan.timeout(resumedConditions, progressDeadlineSeconds: 600)
        #expect(due == (try? Date("2027-01-01T00:12:00Z", strategy: .iso8601)))
    }

    /// `rollout undo` sends the old set's template as a typed client encodes it: the hash must not change.
    @Test func templateHashIgnoresWhatATypedClientAddsEmpty() {
        let stored: JSONValue = [
            "metadata": ["labels": ["app": "web"]],
            "spec": ["containers": [["name": "web", "image": "busybox", "command": ["sleep", "infinity"]]]],
        ]
        let typed: JSONValue = [
            "metadata": ["creationTimestamp": nil, "labels": ["app": "web"]],
            "spec": [
                "containers": [
                    ["image": "busybox", "name": "web", "command": ["sleep", "infinity"], "resources": [:], "env": []]
                ]
            ],
        ]
        #expect(Workloads.templateHash(stored) == Workloads.templateHash(typed))
        var changed = stored
        changed[path: ["metadata", "annotations"]] = ["kubectl.kubernetes.io/restartedAt": "now"]
        #expect(Workloads.templateHash(stored) != Workloads.templateHash(changed))
        #expect(Workloads.templateHash(stored) != Workloads.templateHash(stored, collisionCount: 1))
    }

    func rollout(
        _ newSet: DeploymentReplicaSet,
        after previous: JSONValue?,
        at seconds: Int,
        deadline: Int? = 60
    ) -> JSONValue {
        DeploymentPlan.status(
            replicas: 2,
            strategy: .rollingUpdate(maxSurge: 1, maxUnavailable: 0),
            newSet: newSet,
            oldSets: [],
            generation: 1,
            conditions: previous?["conditions"]?.arrayValue ?? [],
            now: SandboxCore.timestamp(Self.start.addingTimeInterval(TimeInterval(seconds))),
            previous: previous,
            progressDeadlineSeconds: deadline
        )
    }

    func progressing(_ status: JSONValue) -> JSONValue? {
        status["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }
    }

    @Test func progressDeadlineTimesOutARolloutThatStopsProgressing() {
        let stamp = { (seconds: Int) in SandboxCore.timestamp(Self.start.addingTimeInterval(TimeInterval(seconds))) }
        var set = DeploymentReplicaSet(name: "web-new", replicas: 2, current: 2, revision: 1)
        let started = rollout(set, after: nil, at: 0)
        #expect(progressing(started)?["reason"] == "NewReplicaSetCreated")
        #expect(progressing(started)?["message"] == "Created new replica set \"web-new\"")
        #expect(rollout(set, after: started, at: 30)["conditions"] == started["conditions"])
        let startedConditions = started["conditions"]?.arrayValue ?? []
        #expect(
            DeploymentPlan.timeout(startedConditions, progressDeadlineSeconds: 60) == Self.start.addingTimeInterval(60)
        )
        set.ready = 1
        set.available = 1
        let progressed = rollout(set, after: started, at: 50)
        #expect(progressing(progressed)?["reason"] == "ReplicaSetUpdated")
        #expect(progressing(progressed)?["lastUpdateTime"]?.stringValue == stamp(50))
        #expect(progressing(progressed)?["lastTransitionTime"]?.stringValue == stamp(0))
        let timedOut = rollout(set, after: progressed, at: 111)
        #expect(progressing(timedOut)?["status"] == "False")
        #expect(progressing(timedOut)?["reason"] == "ProgressDeadlineExceeded")
        #expect(progressing(timedOut)?["message"] == "ReplicaSet \"web-new\" has timed out progressing.")
        #expect(progressing(rollout(set, after: progressed, at: 100_000, deadline: nil))?["status"] == "True")
        set.ready = 2
        set.available = 2
        let complete = rollout(set, after: timedOut, at: 200)
        #expect(progressing(complete)?["reason"] == "NewReplicaSetAvailable")
        #expect(progressing(complete)?["status"] == "True")
        set.ready = 1
        set.available = 1
        // A complete rollout stays complete while its pods come and go.
        #expect(progressing(rollout(set, after: complete, at: 300)) == progressing(complete))
    }

    @Test func revisionHistoryLimitExpiresTheOldestIdleSets() {
        let sets = [
            DeploymentReplicaSet(name: "r1", replicas: 0, revision: 1),
            DeploymentReplicaSet(name: "r3", replicas: 0, revision: 3),
            DeploymentReplicaSet(name: "r2", replicas: 0, revision: 2),
            DeploymentReplicaSet(name: "busy", replicas: 1, current: 1, revision: 0),
            DeploymentReplicaSet(name: "draining", replicas: 0, current: 1, revision: 0),
        ]
        #expect(DeploymentPlan.expiredSets(sets, historyLimit: 1) == ["r1", "r2"])
        #expect(DeploymentPlan.expiredSets(sets, historyLimit: 0) == ["r1", "r2", "r3"])
        #expect(DeploymentPlan.expiredSets(sets, historyLimit: 10).isEmpty)
    }

    @Test func statefulAndDaemonCountsHonourMinReadySeconds() {
        let now = Self.start.addingTimeInterval(3)
        let stateful = [
            StatefulPod(ordinal: 0, pod: readyPod("db-0", since: Self.start), revision: "r2"),
            StatefulPod(ordinal: 1, pod: readyPod("db-1", since: now), revision: "r1"),
        ]
        let counts = StatefulSetPlan.counts(stateful, updateRevision: "r2", minReadySeconds: 2, now: now)
        #expect(counts.ready == 2 && counts.available == 1 && counts.updated == 1)
        let daemons = [
            DaemonPod(node: "n1", pod: readyPod("a", since: Self.start), revision: "h"),
            DaemonPod(node: "n2", pod: readyPod("b", since: now), revision: "h"),
        ]
        let plan = DaemonSetPlan.decide(
            eligibleNodes: ["n1", "n2"],
            updateRevision: "h",
            pods: daemons,
            minReadySeconds: 2,
            now: now
        )
        #expect(plan.counts["numberReady"] == 2 && plan.counts["numberAvailable"] == 1)
        #expect(plan.counts["numberUnavailable"] == 1 && plan.recheck == now.addingTimeInterval(3))
    }
}
