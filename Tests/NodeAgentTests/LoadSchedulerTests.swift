import NodeAgent
import Testing

/// The load-scheduling state machine, driven without I/O on a manual timeline.
struct LoadSchedulerTests {
    typealias Scheduler = LoadScheduler<ContinuousClock.Instant>
    let t0 = ContinuousClock.now

    @Test func exactlyOneNodeAgentAcceptsALoad() {
        var s = Scheduler(capacity: ["n1": 1, "n2": 1])
        s.submit("du-1", kind: .dataUpload)
        #expect(s.accept("du-1", by: "n1", at: t0) == .done)
        #expect(s.accept("du-1", by: "n2", at: t0) == .dropped)
        #expect(s.loads["du-1"]?.acceptedByNode == "n1")
        #expect(s.loads["du-1"]?.phase == .accepted)
    }

    @Test func thePrepareQueueCapsAcceptedLoadsAndRequeuesAfterFiveSeconds() {
        var s = Scheduler(capacity: ["n1": 5], configuration: .init(prepareQueueLength: 2))
        for i in 1...3 { s.submit("du-\(i)", kind: .dataUpload) }
        #expect(s.accept("du-1", by: "n1", at: t0) == .done)
        #expect(s.accept("du-2", by: "n1", at: t0) == .done)
        guard case .requeue(let delay, _) = s.accept("du-3", by: "n1", at: t0) else {
            Issue.record("not requeued")
            return
        }
        #expect(delay == .seconds(5))
        #expect(s.preparing.count == 2)
        // Prepared loads still count; starting the data path frees a slot.
        #expect(s.markPrepared("du-1", on: "n1") == .done)
        #expect(s.accept("du-3", by: "n1", at: t0) != .done)
        #expect(s.start("du-1") == .done)
        #expect(s.accept("du-3", by: "n1", at: t0) == .done)
    }

    @Test func aFullNodeRequeuesAndResumedLoadsBypassTheLimit() {
        var s = Scheduler(capacity: ["n1": 1])
        for name in ["a", "b", "c"] {
            s.submit(name, kind: .dataDownload)
            _ = s.accept(name, by: "n1", at: t0)
            _ = s.markPrepared(name, on: "n1")
        }
        #expect(s.start("a") == .done)
        #expect(s.start("b") == .requeue(after: .seconds(5), reason: "Data path instance is concurrent limited requeue later"))
        #expect(s.runningCount(on: "n1") == 1)
        #expect(s.start("c", resumed: true) == .done)
        #expect(s.runningCount(on: "n1") == 2)
        s.finish("a", phase: .completed)
        s.finish("c", phase: .completed)
        #expect(s.start("b") == .done)
        #expect(s.loads["a"]?.phase == .completed)
    }

    @Test func aLoadAcceptedTooLongFailsWithVelerosMessage() {
        var s = Scheduler(capacity: ["n1": 1], configuration: .init(prepareTimeout: .seconds(1800)))
        s.submit("du-1", kind: .dataUpload)
        s.submit("dd-1", kind: .dataDownload)
        _ = s.accept("du-1", by: "n1", at: t0)
        _ = s.accept("dd-1", by: "n1", at: t0.advanced(by: .seconds(100)))
        #expect(s.expirePrepares(at: t0.advanced(by: .seconds(1799))).isEmpty)
        let expired = s.expirePrepares(at: t0.advanced(by: .seconds(1800)))
        #expect(expired.map(\.name) == ["du-1"])
        #expect(expired.map(\.message) == ["timeout on preparing data upload"])
        #expect(s.loads["du-1"]?.phase == .failed)
        #expect(!s.preparing.contains("du-1"))
        #expect(s.expirePrepares(at: t0.advanced(by: .seconds(1900))).map(\.message) == ["timeout on preparing data download"])
    }

    @Test func cancelStopsLoadsAtEveryStage() {
        var s = Scheduler(capacity: ["n1": 2])
        for name in ["new", "acc", "run"] { s.submit(name, kind: .podVolumeBackup) }
        _ = s.accept("acc", by: "n1", at: t0)
        _ = s.accept("run", by: "n1", at: t0)
        _ = s.markPrepared("run", on: "n1")
        _ = s.start("run")
        for name in ["new", "acc", "run"] { s.cancel(name) }
        #expect(s.accept("new", by: "n1", at: t0) == .failed("canceled before it was accepted"))
        #expect(s.loads["new"]?.phase == .canceled)
        #expect(s.loads["acc"]?.phase == .canceled)
        #expect(s.loads["run"]?.phase == .canceling)
        #expect(s.runningCount(on: "n1") == 1)
        s.finish("run", phase: .canceled)
        #expect(s.runningCount(on: "n1") == 0)
        #expect(s.preparing.isEmpty)
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
