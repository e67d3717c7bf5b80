import Foundation
import Kubernetes
import Testing
import VeleroAPI

@testable import NodeAgent

/// The decisions of the micro-service watch, without I/O.
struct MicroServiceWatchTests {
    static let backupResult =
        #"{"snapshotID":"3f2a","emptySnapshot":false,"source":{"byPath":"/host_pods/u/volumes/x","volumeMode":"Filesystem"},"totalBytes":4096,"incrementalBytes":1024}"#

    func event(_ reason: String, _ message: String = "") -> MicroServiceWatch.Input {
        .event(reason: reason, message: message)
    }

    @Test func progressIsForwardedAndTheResultReadOnceThePodSucceededAndStopped() {
        var watch = MicroServiceWatch(kind: .podVolumeBackup, pod: "velero/pvb")
        let d1 = watch.handle(event(DataPathMessages.reasonStarted))
        #expect(d1 == .idle)
        let d2 = watch.handle(event(DataPathMessages.reasonProgress, #"{"totalBytes":4096,"doneBytes":1000}"#))
        #expect(d2 == .progress(totalBytes: 4096, bytesDone: 1000))
        let d3 = watch.handle(.pod(.active))
        #expect(d3 == .idle)
        let d4 = watch.handle(event(DataPathMessages.reasonStopped))
        #expect(d4 == .idle)
        let expected = DataPathResult(
            totalBytes: 4096,
            path: "/host_pods/u/volumes/x",
            snapshotID: "3f2a",
            incrementalBytes: 1024
        )
        let d5 = watch.handle(.pod(.succeeded(message: Self.backupResult)))
        #expect(d5 == .finish(.completed(expected)))
        let d6 = watch.handle(event(DataPathMessages.reasonProgress, #"{"doneBytes":1}"#))
        #expect(d6 == .idle)
    }

    @Test func aPodThatEndsBeforeItsEventsWaitsForThemAtMostTheTimeout() {
        var watch = MicroServiceWatch(kind: .podVolumeRestore, pod: "velero/pvr")
        let d7 = watch.handle(.pod(.succeeded(message: #"{"target":{"byPath":"/x"},"totalBytes":7}"#)))
        #expect(d7 == .waitForEvents)
        let d8 = watch.handle(event(DataPathMessages.reasonStarted))
        #expect(d8 == .idle)
        let d9 = watch.handle(event(DataPathMessages.reasonStopped))
        #expect(d9 == .finish(.completed(DataPathResult(totalBytes: 7))))

        var late = MicroServiceWatch(kind: .podVolumeRestore, pod: "velero/pvr")
        let d10 = late.handle(.eventWaitExpired)
        #expect(d10 == .idle)
        let d11 = late.handle(.pod(.succeeded(message: #"{"target":{}}"#)))
        #expect(d11 == .waitForEvents)
        let d12 = late.handle(.eventWaitExpired)
        #expect(d12 == .finish(.completed(DataPathResult(totalBytes: 0))))
    }

    @Test func aFailedPodFailsWithItsMessageOrIsCanceled() {
        var failed = MicroServiceWatch(kind: .podVolumeBackup, pod: "velero/pvb")
        _ = failed.handle(.pod(.failed(message: "error to open repository: wrong password", detail: "exit code 1")))
        let d13 = failed.handle(.eventWaitExpired)
        #expect(d13 == .finish(.failed("error to open repository: wrong password")))

        var silent = MicroServiceWatch(kind: .podVolumeBackup, pod: "velero/pvb")
        _ = silent.handle(.pod(.failed(message: "", detail: "exit code 137 (OOMKilled)")))
        let d14 = silent.handle(.eventWaitExpired)
        #expect(d14 == .finish(.failed("data path pod velero/pvb failed: exit code 137 (OOMKilled)")))

        var canceled = MicroServiceWatch(kind: .podVolumeRestore, pod: "velero/pvr")
        _ = canceled.handle(event(DataPathMessages.reasonStarted))
        _ = canceled.handle(event(DataPathMessages.reasonStopped))
        let message = "error running restore: \(DataPathMessages.canceledMessageSuffix)"
        let d15 = canceled.handle(.pod(.failed(message: message, detail: "exit code 1")))
        #expect(d15 == .finish(.canceled))
    }

    @Test func aBackupWithoutAReadableResultFailsInsteadOfCompletingEmpty() {
        var watch = MicroServiceWatch(kind: .podVolumeBackup, pod: "velero/pvb")
        _ = watch.handle(event(DataPathMessages.reasonStarted))
        _ = watch.handle(event(DataPathMessages.reasonStopped))
        guard case .finish(.failed(let message)) = watch.handle(.pod(.succeeded(message: "not json"))) else {
            Issue.record("expected a failure")
            return
        }
        #expect(message.contains("succeeded without a result"))

        var empty = MicroServiceWatch(kind: .podVolumeBackup, pod: "velero/pvb")
        _ = empty.handle(event(DataPathMessages.reasonStarted))
        _ = empty.handle(event(DataPathMessages.reasonStopped))
        let result = #"{"snapshotID":"","emptySnapshot":true,"source":{"byPath":"/v","volumeMode":"Filesystem"}}"#
        let d16 = empty.handle(.pod(.succeeded(message: result)))
        #expect(d16 == .finish(.completed(DataPathResult(totalBytes: 0, path: "/v", emptySnapshot: true))))
    }

    @Test func aPodThatGoesAwayOrAWatchThatBreaksFailsTheDataPath() {
        var gone = MicroServiceWatch(kind: .dataUpload, pod: "velero/du")
        let d17 = gone.handle(.pod(.gone))
        #expect(d17 == .finish(.failed("the data path pod velero/du is gone before it finished")))
        var broken = MicroServiceWatch(kind: .dataUpload, pod: "velero/du")
        let d18 = broken.handle(.watchFailed("403"))
        #expect(d18 == .finish(.failed("watching the data path pod velero/du failed: 403")))
    }

    @Test func thePodStateIsReadFromItsContainersTermination() {
        let pod: JSONValue = [
            "status": [
                "phase": "Failed",
                "containerStatuses": [
                    ["name": "other", "state": ["terminated": ["exitCode": 2, "message": "not this one"]]],
                    ["name": "uid-1", "state": ["terminated": ["exitCode": 1, "reason": "Error", "message": "boom"]]],
                ],
            ]
        ]
        #expect(
            MicroServiceWatch.podState(pod, container: "uid-1")
                == .failed(message: "boom", detail: "exit code 1 (Error)")
        )
        #expect(MicroServiceWatch.podState(nil, container: "uid-1") == .gone)
        #expect(MicroServiceWatch.podState(["status": ["phase": "Running"]], container: "uid-1") == .active)
    }

    @Test func aPodVolumeBackupOfAnEmptyVolumeGetsVelerosMessage() throws {
        var load = LoadObject(
            kind: .podVolumeBackup,
            object: ["metadata": ["name": "pvb"], "status": ["phase": "InProgress"]]
        )
        load = try load.completed(at: "2026-12-07T10:00:00Z", emptySnapshot: true)
        #expect(load.message == "volume was empty so no snapshot was taken")
        #expect(LoadKind.podVolumeBackup.dataPathFailureMessage == "data path backup failed")
        #expect(LoadKind.podVolumeRestore.dataPathFailureMessage == "data path restore failed")
    }

    @Test func onlyFilesystemLocationsWithAnAbsoluteBucketHaveAHostFolder() {
        func location(_ provider: String, _ bucket: String) -> BackupStorageLocation {
            BackupStorageLocation(
                metadata: .init(name: "default", namespace: "velero"),
                spec: .init(provider: provider, objectStorage: .init(bucket: bucket))
            )
        }
        #expect(location("filesystem", "/srv/backups/").hostFolder == "/srv/backups")
        #expect(location("aws", "/srv/backups").hostFolder == nil)
        #expect(location("filesystem", "relative").hostFolder == nil)
    }
}
