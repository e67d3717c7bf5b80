import Foundation
import Kubernetes
import Testing

@testable import NodeAgent

/// The node agent's load state machine alone: events in, actions and steps out, time passed in. No
/// sandbox, no clock, no sleeps.
struct LoadStateMachineTests {
    typealias Machine = LoadStateMachine

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let stamp = LoadObject.timestamp(t0)

    /// Two nodes of concurrency 1 (the default) and the given prepare queue length.
    static func machine(
        _ node: String = "n1",
        prepareQueueLength: Int = 0,
        capacityAware: Bool = false,
        stagger: Duration = .zero,
        labels: [String: [String: String]] = [:],
        affinity: String = ""
    ) throws -> Machine {
        let json = #"{"loadConcurrency":{"prepareQueueLength":\#(prepareQueueLength)}\#(affinity)}"#
        let nodes = ["n1", "n2"].map { ClusterFacts.Node(name: $0, labels: labels[$0] ?? [:]) }
        let config = try NodeAgentConfig.load(json: json, source: "test").config.resolve(in: ClusterFacts(nodes: nodes))
        return Machine(
            configuration: .init(
                node: node,
                config: config,
                nodes: nodes,
                capacityAwarePlacement: capacityAware,
                acceptStagger: stagger
            )
        )
    }

    static func key(_ name: String) -> LoadKey { LoadKey(kind: .dataUpload, name: name) }

    /// A New DataUpload at resourceVersion `version`, changed by `transform`.
    static func load(
        _ name: String,
        version: Int = 1,
        _ transform: (LoadObject) throws -> LoadObject = { $0 }
    ) throws -> LoadObject {
        let object = ClusterLoadSimulation.dataUpload(
            .init(name: name, storageClass: "standard", duration: .seconds(1)),
            namespace: "velero"
        )
        var load = try transform(LoadObject(kind: .dataUpload, object: object.value))
        load.object[path: ["metadata", "resourceVersion"]] = .string(String(version))
        return load
    }

    static func accepted(_ name: String, by node: String = "n1", version: Int = 2) throws -> LoadObject {
        try load(name, version: version) { try $0.accepted(byNode: node, at: stamp).withFinalizer() }
    }

    static func prepared(_ name: String, on node: String = "n1", version: Int = 3) throws -> LoadObject {
        try load(name, version: version) {
            try $0.accepted(byNode: node, at: stamp).withFinalizer().prepared(onNode: node)
        }
    }

    static func inProgress(_ name: String, on node: String = "n1", version: Int = 4) throws -> LoadObject {
        try load(name, version: version) {
            try $0.accepted(byNode: node, at: stamp).withFinalizer().prepared(onNode: node).started(at: stamp)
        }
    }

    /// A running data-mover pod of `name` on this node.
    static func pod(_ name: String, phase: String = "Running") -> JSONValue {
        var pod: JSONValue = ["metadata": ["name": .string(name), "labels": [:]], "status": ["phase": .string(phase)]]
        pod[path: ["metadata", "labels", LoadKind.dataUpload.ownerLabel]] = .string(name)
        return pod
    }

    // MARK: - New → Accepted

    @Test func aNewLoadIsOfferedAdmittedAndAcceptedOrDroppedOnConflict() throws {
        var m = try Self.machine(prepareQueueLength: 2)
        let key = Self.key("du-1")
        #expect(m.loadObserved(try Self.load("du-1")) == [.reconcile(key)])
        #expect(m.step(for: try Self.load("du-1"), now: Self.t0) == .admit)
        #expect(m.admitNew(key, committing: true).admission == .proceed)
        m.acceptSucceeded(key)
        #expect(m.statistics.accepted == 1)
        // A conflict with a load still New: try again soon; with another node's acceptance: dropped, and its
        // ticket is returned.
        let retry = m.acceptConflicted(key, fresh: try Self.load("du-1", version: 2))
        #expect(retry.retry == .milliseconds(100) && !retry.returnTicket)
        let lost = m.acceptConflicted(key, fresh: try Self.accepted("du-1", by: "n2"))
        #expect(lost.retry == nil && lost.returnTicket)
        #expect(m.statistics.acceptLost == 1)
        // Once the view shows it accepted elsewhere, the admission rule skips it.
        _ = m.loadObserved(try Self.accepted("du-1", by: "n2", version: 3))
        #expect(m.admitNew(key, committing: true).admission == .skip)
    }

    @Test func aFullPrepareQueueSetsNewLoadsAsideUntilAPlaceFrees() throws {
        var m = try Self.machine(prepareQueueLength: 1)
        _ = m.loadObserved(try Self.accepted("a", by: "n2"))
        #expect(m.view.exposingCount == 1)
        // Offered while the queue is full: no reconcile, it waits.
        #expect(m.loadObserved(try Self.load("b")).isEmpty)
        #expect(m.statistics.queueFull == 1)
        #expect(m.admitNew(Self.key("b"), committing: true).admission == .wait)
        // "a" starts (it leaves the prepare queue): "b" is woken.
        #expect(m.loadObserved(try Self.inProgress("a", on: "n2")) == [.reconcile(Self.key("b"))])
        // The exact check (the ticket) refused it anyway while the count shows room: look again soon.
        let refused = m.ticketRefused(Self.key("b"), heldByOther: false)
        #expect(refused.retry == .seconds(5))
        // Another node agent holds its ticket: dropped.
        #expect(m.ticketRefused(Self.key("b"), heldByOther: true).retry == nil)
    }

    @Test func theStaggerDelaysEachNodeByItsRankOnce() throws {
        var first = try Self.machine("n1", stagger: .milliseconds(20))
        var second = try Self.machine("n2", stagger: .milliseconds(20))
        let load = try Self.load("du-7")
        let key = Self.key("du-7")
        let offers = [first.loadObserved(load), second.loadObserved(load)]
        // One node goes at once, the other after one step.
        #expect(Set(offers) == [[.reconcile(key)], [.reconcileAfter(key, .milliseconds(20))]])
        // The turn is waited once: the reconcile after it proceeds.
        #expect(first.admitNew(key, committing: true).admission == .proceed)
        #expect(second.admitNew(key, committing: true).admission == .proceed)
    }

    // MARK: - Accepted → Prepared

    @Test func anAcceptedLoadIsExposedThenPreparedWhenItsPodRuns() throws {
        var m = try Self.machine()
        let load = try Self.accepted("du-1")
        let key = Self.key("du-1")
        _ = m.loadObserved(load)
        #expect(m.step(for: load, now: Self.t0) == .expose)
        m.setExposure(key, done: true)
        // No pod yet: look again when the prepare timeout would expire.
        #expect(m.step(for: load, now: Self.t0.addingTimeInterval(1000)) == .requeue(after: .seconds(800)))
        #expect(m.podChanged(.upserted(Self.pod("du-1")), owner: key) == [.reconcile(key)])
        #expect(m.step(for: load, now: Self.t0) == .markPrepared)
        // Another node's accepted load whose pod is not here: nothing to do.
        var other = try Self.machine("n2")
        #expect(other.step(for: load, now: Self.t0) == .idle)
    }

    @Test func aPodInAnAbnormalStatusCancelsTheLoad() throws {
        var m = try Self.machine()
        _ = m.loadObserved(try Self.accepted("du-1"))
        m.setExposure(Self.key("du-1"), done: true)
        _ = m.podChanged(.upserted(Self.pod("du-1", phase: "Failed")), owner: Self.key("du-1"))
        guard case .requestCancel(let message) = m.step(for: try Self.accepted("du-1"), now: Self.t0) else {
            Issue.record("not canceled")
            return
        }
        #expect(message == "found a dataupload velero/du-1 with expose error: pod du-1 is in abnormal status Failed")
    }

    @Test func aLoadAcceptedTooLongFailsWithVelerosMessage() throws {
        var m = try Self.machine()
        let load = try Self.accepted("du-1")
        m.setExposure(Self.key("du-1"), done: true)
        #expect(m.step(for: load, now: Self.t0.addingTimeInterval(1799)) == .requeue(after: .seconds(1)))
        #expect(
            m.step(for: load, now: Self.t0.addingTimeInterval(1800))
                == .finish(.failed, message: "timeout on preparing data upload")
        )
        // Only the node agent that accepted it (or has its pod) fails it.
        var other = try Self.machine("n2")
        #expect(other.step(for: load, now: Self.t0.addingTimeInterval(1800)) == .idle)
    }

    // MARK: - Prepared → InProgress → Completed | Failed

    @Test func aFullNodeRequeuesPreparedLoadsAndResumedOnesBypassTheLimit() throws {
        var m = try Self.machine()
        #expect(m.slots.capacity == 1)
        #expect(m.step(for: try Self.prepared("a"), now: Self.t0) == .startDataPath)
        m.dataPathStarted(Self.key("a"), resumed: false)
        #expect(m.step(for: try Self.prepared("b"), now: Self.t0) == .requeue(after: .seconds(5)))
        #expect(m.statistics.nodeFull == 1)
        // Another node's prepared load is not this node's to start.
        #expect(m.step(for: try Self.prepared("x", on: "n2"), now: Self.t0) == .idle)
        // A load found InProgress after a restart resumes over the limit.
        #expect(m.step(for: try Self.inProgress("c"), now: Self.t0) == .resume)
        #expect(m.resumeStep(try Self.inProgress("c")) == .startDataPath)
        #expect(m.slots.free == -1)
        // A data path ends (completed): its slot goes to the load waiting for one.
        #expect(m.dataPathEnded(Self.key("a"), completed: true) == [.reconcile(Self.key("b"))])
        #expect(m.statistics.completed == 1)
        _ = m.dataPathEnded(Self.key("c"))
        #expect(m.step(for: try Self.prepared("b"), now: Self.t0) == .startDataPath)
    }

    @Test func aFinalLoadIsReleasedByTheNodeResponsibleForIt() throws {
        var m = try Self.machine()
        let done = try Self.load("a", version: 5) {
            try $0.accepted(byNode: "n1", at: Self.stamp).withFinalizer().prepared(onNode: "n1").started(at: Self.stamp)
                .completed(at: Self.stamp, path: "/", snapshotID: "s", incrementalBytes: 0, emptySnapshot: false)
        }
        #expect(m.step(for: done, now: Self.t0) == .release)
        #expect(m.step(for: done.withoutFinalizer(), now: Self.t0) == .idle)
        var other = try Self.machine("n2")
        #expect(other.step(for: done, now: Self.t0) == .idle)
        let failed = try Self.load("f", version: 3) {
            try $0.accepted(byNode: "n1", at: Self.stamp).failed(at: Self.stamp, message: "x")
        }
        #expect(m.step(for: failed, now: Self.t0) == .idle)  // no finalizer, no expose label
    }

    // MARK: - Cancel in each phase

    @Test func cancelEndsTheLoadInEveryPhase() throws {
        var m = try Self.machine()
        let now = Self.t0
        #expect(m.step(for: try Self.load("new").cancelRequested(), now: now) == .cancelNew)
        // Not this node's to run (a file-system load of another node): left alone.
        #expect(m.step(for: try Self.load("new").cancelRequested(), now: now, runsHere: false) == .idle)
        m.setExposure(Self.key("acc"), done: true)
        #expect(m.step(for: try Self.accepted("acc").cancelRequested(), now: now) == .finish(.canceled, message: nil))
        #expect(m.step(for: try Self.prepared("prep").cancelRequested(), now: now) == .finish(.canceled, message: nil))
        // InProgress and running here: Canceling, then the data path is signalled.
        #expect(m.step(for: try Self.prepared("run"), now: now) == .startDataPath)
        #expect(m.step(for: try Self.inProgress("run").cancelRequested(), now: now) == .cancelDataPath)
        let canceling = try Self.inProgress("run").cancelRequested().canceling()
        #expect(m.step(for: canceling, now: now) == .signalCancel)
        #expect(m.isCancelRequested(Self.key("run")))
        // Canceling with no data path here (it ended): Canceled.
        _ = m.dataPathEnded(Self.key("run"))
        #expect(m.step(for: canceling, now: now) == .finish(.canceled, message: nil))
        // A load being deleted is canceled with Velero's message by the node responsible for it.
        var deleting = try Self.accepted("del")
        deleting.object[path: ["metadata", "deletionTimestamp"]] = .string(Self.stamp)
        #expect(m.step(for: deleting, now: now) == .requestCancel(message: LoadKind.dataUpload.deletionCancelMessage))
    }

    // MARK: - Capacity-aware placement

    @Test func capacityAwarePlacementHoldsASlotFromAcceptanceAndWakesWaitersWhenItFrees() throws {
        let labels = ["n1": ["node-type": "backup"], "n2": [:]]
        let affinity = #","loadAffinity":[{"nodeSelector":{"matchLabels":{"node-type":"backup"}}}]"#
        var m = try Self.machine("n1", capacityAware: true, labels: labels, affinity: affinity)
        var n2 = try Self.machine("n2", capacityAware: true, labels: labels, affinity: affinity)
        // The affinity does not admit n2: it never takes part.
        #expect(n2.loadObserved(try Self.load("a")).isEmpty)
        // n1 takes "a" and holds its only slot from the acceptance.
        #expect(m.loadObserved(try Self.load("a")) == [.reconcile(Self.key("a"))])
        #expect(m.admitNew(Self.key("a"), committing: true).admission == .proceed)
        #expect(m.slots.free == 0 && m.slots.isHeld(Self.key("a")))
        // "b" finds no free slot: it waits without a reconcile.
        #expect(m.loadObserved(try Self.load("b")).isEmpty)
        #expect(m.statistics.noFreeSlot == 1)
        // "a" is lost to a conflict: the hold is released and "b" is woken at once.
        let lost = m.acceptConflicted(Self.key("a"), fresh: nil)
        #expect(lost.actions == [.reconcile(Self.key("b"))])
        #expect(m.admitNew(Self.key("b"), committing: true).admission == .proceed)
        // "b" is prepared and starts in the held slot even though the node is "full".
        #expect(m.step(for: try Self.prepared("b"), now: Self.t0) == .startDataPath)
        #expect(m.slots.isRunning(Self.key("b")))
    }

    // MARK: - Resync

    @Test func theResyncLooksAgainAtTheLoadsThisNodeIsResponsibleFor() throws {
        var m = try Self.machine(prepareQueueLength: 1)
        _ = m.loadObserved(try Self.accepted("mine"))
        _ = m.loadObserved(try Self.accepted("theirs", by: "n2"))
        _ = m.loadObserved(try Self.load("new"))
        // The load this node accepted (not another node's, not the New one), and one load waiting for room
        // (in case its wake-up was missed).
        let tick = m.resyncTick(now: Self.t0)
        #expect(tick.actions == [.reconcile(Self.key("mine")), .reconcile(Self.key("new"))])
        #expect(tick.sweep)
        // The sweep is due again only after half the staleness.
        let early = m.resyncTick(now: Self.t0.addingTimeInterval(10))
        let due = m.resyncTick(now: Self.t0.addingTimeInterval(PrepareQueue.staleAfter / 2))
        #expect(!early.sweep && due.sweep)
    }
}

struct LoadPhaseTests {
    @Test func followsVelerosTransitions() {
        #expect(LoadPhase(status: nil) == .new)
        #expect(LoadPhase(status: "") == .new)
        #expect(LoadPhase.new.canMove(to: .accepted))
        #expect(!LoadPhase.new.canMove(to: .inProgress))
        #expect(LoadPhase.inProgress.canMove(to: .canceling))
        #expect(!LoadPhase.prepared.canMove(to: .canceling))
        #expect(LoadPhase.allCases.filter(\.isFinal) == [.canceled, .completed, .failed])
        for final in LoadPhase.allCases where final.isFinal { #expect(final.successors.isEmpty) }
    }
}
