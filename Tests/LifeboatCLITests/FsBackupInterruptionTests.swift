import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// A file-system backup whose node agent or data mover is killed (SIGKILL) mid-upload (``FsBackupStack``): the
/// load ends Failed, or Completed because the restarted node agent picked the still-running hosting pod up again
/// (Velero 1.18's `AttemptPVBResume`); the backup is never Completed with data missing; the stock `restic check`
/// finds the repository clean.
@Suite(.enabled(if: fsBackupContainersRun, "needs bubblewrap and mount namespaces"))
struct FsBackupInterruptionTests {
    /// The volume's one file: random bytes, large enough that the upload reports progress (at least once a
    /// second) well before it ends.
    static let volumeBytes = 96 * 1024 * 1024

    /// Writes `/data/big.bin` on a fresh volume, then idles until stopped.
    static let writer = """
        trap 'exit 0' TERM
        if [ ! -e /data/done ]; then head -c \(volumeBytes) /dev/urandom > /data/big.bin && touch /data/done; fi
        while true; do sleep 1 & wait $!; done
        """

    /// Waits until `backup`'s PodVolumeBackup is InProgress with bytes uploaded; returns it.
    static func waitForUpload(of backup: String, stack: FsBackupStack) async throws -> KubeObject {
        var found: KubeObject?
        do {
            try await waitUntil("\(backup)'s PodVolumeBackup uploading", timeout: .seconds(120)) {
                found = try await stack.podVolumeBackups(of: backup).first {
                    $0.phase == "InProgress" && ($0["status"]?["progress"]?["bytesDone"]?.intValue ?? 0) > 0
                }
                return found != nil
            }
        } catch {
            let loads = try await stack.podVolumeBackups(of: backup).map(\.value.jsonString)
            Issue.record(Comment(rawValue: "PodVolumeBackups of \(backup): \(loads)"))
            throw error
        }
        return try #require(found)
    }

    /// The host PIDs of the `lifeboat` processes whose command line holds `marker`.
    static func processes(of binary: String, containing marker: String) -> [Int32] {
        // `/proc/<pid>/exe` names the file itself (`.build/debug` is a symbolic link).
        let binary = URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe"),
                executable == binary,
                // /proc files report size 0: read to the end instead of by size.
                let arguments = try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(entry)/cmdline"))
                    .readToEnd()
            else { return nil }
            return String(decoding: arguments, as: UTF8.self).contains(marker) ? pid : nil
        }
    }

    /// `lifeboat backup create <name>` of namespace `app` with every pod volume, to its end.
    static func backUp(_ name: String, stack: FsBackupStack) async throws -> ChildProcess.Result {
        try await stack.lifeboat(
            ["backup", "create", name, "--include-namespaces", "app", "--default-volumes-to-fs-backup=true", "--wait"],
            timeout: .seconds(300)
        )
    }

    @Test(.timeLimit(.minutes(8)))
    func aKilledNodeAgentOrDataMoverNeverLeavesACompletedBackupWithMissingData() async throws {
        try await FsBackupStack.with(prefix: "lifeboat-fs-kill") { stack in
            let client = stack.client
            try await client.createNamespaceAndWait("app")
            try await stack.createClaim("big")
            var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: "big")
            pod["spec"] = [
                "terminationGracePeriodSeconds": 2,
                "containers": [
                    FsBackupFidelityTests.container(Self.writer, mounts: ["data": "/data"])
                ],
                "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": "big"]]],
            ]
            _ = try await client.create(.pods, pod)
            try await stack.waitForPod("big", marker: "/data/done")

            // MARK: the node agent dies mid-upload and restarts
            async let first = Self.backUp("k1", stack: stack)
            let uploading = try await Self.waitForUpload(of: "k1", stack: stack)
            let node = try #require(uploading["spec"]?["node"]?.stringValue)
            try await stack.killNodeAgent(on: node)
            try stack.startNodeAgent(on: node)
            let firstResult = try await first
            let firstLoad = try #require(try await stack.podVolumeBackups(of: "k1").first)
            let firstPhase = try await stack.backupPhase("k1")
            print(
                "node agent killed mid-upload: backup \(firstPhase ?? "?"), PodVolumeBackup \(firstLoad.phase ?? "?")"
            )
            if firstPhase == "Completed" {
                // Resumed: the snapshot holds the whole volume.
                #expect(firstLoad.phase == "Completed", "\(firstLoad.value.jsonString)")
                let snapshot = try #require(firstLoad["status"]?["snapshotID"]?.stringValue)
                let stats = try await stack.restic(["stats", "--json", "--mode", "restore-size", snapshot])
                try #require(stats.status == 0, "\(stats.output)")
                let size = try JSONValue(parsing: Array(stats.stdoutData))["total_size"]?.intValue.map(Int.init)
                #expect(size == Self.volumeBytes, "\(stats.output)")
            } else {
                #expect(["PartiallyFailed", "Failed"].contains(firstPhase), "\(firstResult.output)")
                #expect(["Failed", "Canceled"].contains(firstLoad.phase), "\(firstLoad.value.jsonString)")
            }
            try await stack.expectCheckIsClean()

            // MARK: the data mover (the hosting pod's process) dies mid-upload
            try await stack.exec("head -c \(Self.volumeBytes) /dev/urandom > /data/big.bin", pod: "big")
            async let second = Self.backUp("k2", stack: stack)
            let moving = try await Self.waitForUpload(of: "k2", stack: stack)
            let name = try #require(moving.name)
            let movers = Self.processes(of: stack.binary, containing: "--pod-volume-backup=\(name)")
            try #require(movers.count == 1, "data mover processes of \(name): \(movers)")
            for pid in movers { kill(pid, SIGKILL) }
            let secondResult = try await second
            #expect(try await stack.backupPhase("k2") == "PartiallyFailed", "\(secondResult.output)")
            let secondLoad = try #require(try await stack.podVolumeBackups(of: "k2").first)
            #expect(secondLoad.phase == "Failed", "\(secondLoad.value.jsonString)")
            #expect(secondLoad["status"]?["snapshotID"] == nil, "\(secondLoad.value.jsonString)")
            let message = secondLoad["status"]?["message"]?.stringValue ?? ""
            #expect(!message.isEmpty, "\(secondLoad.value.jsonString)")
            try await stack.expectCheckIsClean()
        }
    }
}
