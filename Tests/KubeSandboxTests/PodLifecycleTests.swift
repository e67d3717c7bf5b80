import Foundation
import Testing

@testable import KubeSandbox

/// The kubelet's per-pod decisions, without processes: time is a parameter.
struct PodLifecycleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    func reason(_ pod: PodLifecycle, _ name: String) -> String? {
        if case .waiting(let reason, _)? = pod[name]?.state { return reason }
        return nil
    }

    @Test func initContainersRunOneAfterAnotherBeforeTheAppContainers() {
        var pod = PodLifecycle(initContainers: ["a", "b"], containers: ["app", "side"], restartPolicy: .always)
        #expect(pod.decide(now: t0) == [.start("a")])
        pod.started("a", at: t0, containerID: "1")
        #expect(pod.decide(now: t0).isEmpty)
        #expect(pod.phase == "Pending")
        pod.exited("a", exitCode: 0, at: at(1))
        #expect(pod.decide(now: at(1)) == [.start("b")])
        pod.started("b", at: at(1), containerID: "2")
        pod.exited("b", exitCode: 0, at: at(2))
        #expect(pod.decide(now: at(2)) == [.start("app"), .start("side")])
        pod.started("app", at: at(2), containerID: "3")
        pod.started("side", at: at(2), containerID: "4")
        #expect(pod.phase == "Running")
        #expect(pod.conditions.allSatisfy { $0.status })
    }

    @Test func aFailedInitContainerIsRetriedUnlessTheRestartPolicyIsNever() {
        var retried = PodLifecycle(initContainers: ["a"], containers: ["app"], restartPolicy: .onFailure)
        _ = retried.decide(now: t0)
        retried.started("a", at: t0, containerID: "1")
        retried.exited("a", exitCode: 1, at: at(1))
        #expect(retried.decide(now: at(1)) == [.start("a")])
        #expect(retried.phase == "Pending")

        var failed = PodLifecycle(initContainers: ["a"], containers: ["app"], restartPolicy: .never)
        _ = failed.decide(now: t0)
        failed.started("a", at: t0, containerID: "1")
        failed.exited("a", exitCode: 1, at: at(1))
        #expect(failed.decide(now: at(1)).isEmpty)
        #expect(failed.phase == "Failed")
    }

    @Test(arguments: [
        (PodLifecycle.RestartPolicy.never, Int32(0), "Succeeded", false),
        (.never, 3, "Failed", false),
        (.onFailure, 0, "Succeeded", false),
        (.onFailure, 3, "Running", true),
        (.always, 0, "Running", true),
        (.always, 3, "Running", true),
    ])
    func restartPolicyDecidesWhatAnExitMeans(
        policy: PodLifecycle.RestartPolicy,
        exitCode: Int32,
        phase: String,
        restarts: Bool
    ) {
        var pod = PodLifecycle(initContainers: [], containers: ["app"], restartPolicy: policy)
        _ = pod.decide(now: t0)
        pod.started("app", at: t0, containerID: "1")
        pod.exited("app", exitCode: exitCode, at: at(1))
        #expect(pod.phase == phase)
        #expect(pod.decide(now: at(1)) == (restarts ? [.start("app")] : []))
    }

    @Test func crashesBackOffFromTenSecondsDoublingToFiveMinutes() {
        var pod = PodLifecycle(initContainers: [], containers: ["app"], restartPolicy: .always, podDescription: "p")
        var now = t0
        _ = pod.decide(now: now)
        pod.started("app", at: now, containerID: "0")
        var delays: [Double] = []
        for run in 1...9 {
            pod.exited("app", exitCode: 1, at: now)
            if pod.decide(now: now) == [.start("app")] {
                delays.append(0)
            } else {
                #expect(reason(pod, "app") == "CrashLoopBackOff")
                guard let wakeup = pod.nextWakeup else {
                    Issue.record("no wakeup after crash \(run)")
                    return
                }
                #expect(pod.decide(now: wakeup.addingTimeInterval(-0.5)).isEmpty)
                delays.append(wakeup.timeIntervalSince(now))
                now = wakeup
                #expect(pod.decide(now: now) == [.start("app")])
            }
            pod.started("app", at: now, containerID: "\(run)")
            #expect(pod["app"]?.restartCount == run)
        }
        #expect(delays == [0, 10, 20, 40, 80, 160, 300, 300, 300])
        #expect(pod.phase == "Running")
    }

    @Test func aLongRunForgetsTheBackOff() {
        var pod = PodLifecycle(initContainers: [], containers: ["app"], restartPolicy: .always)
        _ = pod.decide(now: t0)
        pod.started("app", at: t0, containerID: "0")
        pod.exited("app", exitCode: 1, at: at(1))
        #expect(pod.decide(now: at(1)) == [.start("app")])
        pod.started("app", at: at(1), containerID: "1")
        pod.exited("app", exitCode: 1, at: at(2))
        #expect(pod.decide(now: at(2)).isEmpty)
        #expect(pod.decide(now: at(12)) == [.start("app")])
        pod.started("app", at: at(12), containerID: "2")
        pod.exited("app", exitCode: 1, at: at(12 + 601))
        #expect(pod.decide(now: at(12 + 601)) == [.start("app")])
    }

    @Test func aStartErrorIsAFailedRunAndAConfigurationErrorWaits() {
        var pod = PodLifecycle(initContainers: [], containers: ["app", "other"], restartPolicy: .never)
        _ = pod.decide(now: t0)
        pod.startFailed("app", at: t0, failure: .run(message: "exec: \"x\": executable file not found in $PATH"))
        pod.startFailed(
            "other",
            at: t0,
            failure: .configuration(reason: "ErrImageNeverPull", message: "not mapped", retryAfter: nil)
        )
        if case .terminated(let end)? = pod["app"]?.state {
            #expect(end.reason == "StartError" && end.exitCode == 128)
        } else {
            Issue.record("app is not terminated")
        }
        #expect(reason(pod, "other") == "ErrImageNeverPull")
        #expect(pod.phase == "Pending")
        #expect(pod.decide(now: at(3600)).isEmpty)
        #expect(pod.nextWakeup == nil)
        pod.podChanged()
        #expect(pod.decide(now: at(3600)) == [.start("other")])
    }

    @Test func stoppingStopsRunningContainersAndStartsNothing() {
        var pod = PodLifecycle(initContainers: [], containers: ["a", "b"], restartPolicy: .always)
        _ = pod.decide(now: t0)
        pod.started("a", at: t0, containerID: "1")
        pod.stop()
        #expect(pod.decide(now: t0) == [.stop("a")])
        pod.exited("a", exitCode: 143, at: at(1))
        #expect(pod.decide(now: at(100)).isEmpty)
        #expect(!pod.anyRunning)
    }

    @Test func aResumedPodCountsItsNextStartAsARestart() {
        var pod = PodLifecycle(initContainers: [], containers: ["app"], restartPolicy: .always)
        pod.resume(restartCounts: ["app": 2], ran: ["app"])
        #expect(pod.decide(now: t0) == [.start("app")])
        #expect(pod.nextRestartCount(of: "app") == 3)
        pod.started("app", at: t0, containerID: "1")
        #expect(pod["app"]?.restartCount == 3)
    }
}
