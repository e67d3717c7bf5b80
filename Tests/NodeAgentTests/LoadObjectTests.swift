import Kubernetes
import NodeAgent
import Testing

/// Status fields set on each transition, as Velero's DataUpload controller sets them.
struct LoadObjectTests {
    let du: JSONValue = [
        "apiVersion": "velero.io/v2alpha1", "kind": "DataUpload",
        "metadata": ["name": "b-1", "namespace": "velero"], "spec": ["sourcePVC": "data"],
    ]

    @Test func walksTheHappyPathWithVelerosFields() throws {
        var load = LoadObject(kind: .dataUpload, object: du).withFinalizer()
        #expect(load.phase == .new)
        #expect(load.hasFinalizer)
        load = try load.accepted(byNode: "n1", at: "2026-11-21T10:00:00Z")
        #expect(load.object["status"]?["phase"] == "Accepted")
        #expect(load.object["status"]?["acceptedByNode"] == "n1")
        #expect(load.object["status"]?["acceptedTimestamp"] == "2026-11-21T10:00:00Z")
        #expect(load.isExposing)
        load = try load.prepared(onNode: "n2")
        #expect(load.object["status"]?["node"] == "n2")
        load = try load.started(at: "2026-11-21T10:01:00Z")
        #expect(load.object["status"]?["phase"] == "InProgress")
        #expect(load.object["status"]?["startTimestamp"] == "2026-11-21T10:01:00Z")
        #expect(load.object["status"]?["nodeOS"] == "linux")
        #expect(!load.isExposing)
        #expect(load.object["metadata"]?["labels"] == nil)
        load = load.progressing(totalBytes: 100, bytesDone: 40)
        #expect(load.object["status"]?["progress"] == ["totalBytes": 100, "bytesDone": 40])
        load = try load.completed(
            at: "2026-11-21T10:05:00Z",
            path: "/x",
            snapshotID: "abc",
            incrementalBytes: 7,
            emptySnapshot: true
        )
        #expect(load.object["status"]?["phase"] == "Completed")
        #expect(load.object["status"]?["snapshotID"] == "abc")
        #expect(load.object["status"]?["message"] == "volume was empty so no data was upload")
        #expect(load.object["status"]?["completionTimestamp"] == "2026-11-21T10:05:00Z")
        #expect(!load.withoutFinalizer().hasFinalizer)
        #expect(throws: NodeAgentError.self) { try load.failed(at: "t", message: "late") }
    }

    @Test func refusesSkippingPhases() {
        let load = LoadObject(kind: .dataDownload, object: du)
        #expect(throws: NodeAgentError.self) { try load.started(at: "t") }
        #expect(throws: NodeAgentError.self) { try load.prepared(onNode: "n1") }
    }

    @Test func timesOutPreparationWithVelerosMessage() throws {
        let accepted = try LoadObject(kind: .dataUpload, object: du).accepted(byNode: "n1", at: "t0")
        #expect(try accepted.failingPrepareTimeout(now: 1799, acceptedAt: 0, timeout: 1800, at: "t1") == nil)
        let failed = try #require(try accepted.failingPrepareTimeout(now: 1800, acceptedAt: 0, timeout: 1800, at: "t1"))
        #expect(failed.object["status"]?["phase"] == "Failed")
        #expect(failed.object["status"]?["message"] == "timeout on preparing data upload")
        #expect(failed.object["status"]?["startTimestamp"] == "t1")
        #expect(!failed.isExposing)
    }

    @Test func deletionCancelsWithVelerosMessage() throws {
        let running = try LoadObject(kind: .dataUpload, object: du).accepted(byNode: "n1", at: "t").prepared(
            onNode: "n1"
        ).started(at: "t")
        let cancel = running.cancelRequested()
        #expect(cancel.cancelRequested)
        #expect(cancel.object["status"]?["message"] == "Cancel dataupload because it is being deleted")
        let canceled = try cancel.canceling().canceled(at: "t2")
        #expect(canceled.phase == .canceled)
        #expect(canceled.object["status"]?["completionTimestamp"] == "t2")
    }
}
