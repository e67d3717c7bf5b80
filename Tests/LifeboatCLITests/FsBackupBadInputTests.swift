import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// File-system backups over bad input (``FsBackupStack``): a volume with an item that cannot be read fails with
/// the item's path and the errno, the other volume completes and the backup ends PartiallyFailed; a corrupted pack
/// at restore fails the volume whose data it holds, naming the blob and the pack, the other volume is restored and
/// the restore ends PartiallyFailed.
@Suite(.enabled(if: fsBackupContainersRun, "needs bubblewrap and mount namespaces"))
struct FsBackupBadInputTests {
    /// Writes `/good/file.bin` (one chunk of random bytes) and `/deep/x.txt`, then idles until stopped.
    static let writer = """
        trap 'exit 0' TERM
        if [ ! -e /good/done ]; then
          head -c 300000 /dev/urandom > /good/file.bin && printf 'kept\\n' > /deep/x.txt
          touch /good/done /deep/done
        fi
        while true; do sleep 1 & wait $!; done
        """

    /// A folder name of 250 bytes; 17 of them nested make a path longer than PATH_MAX (4096).
    static let longName = String(repeating: "d", count: 250)

    /// Nests 17 folders of ``longName`` under /deep with a file at the bottom, each made from inside the
    /// previous one so that no path argument is too long (a shell cannot `cd` into the 17th: its working
    /// directory would pass PATH_MAX). The tests run as root and the data path has CAP_DAC_OVERRIDE, so no
    /// permission bits stop a read: a path beyond PATH_MAX is a real item that the system refuses, with
    /// ENAMETOOLONG, to the uploader as to restic.
    static let makeDeepTree = """
        cd /deep && i=0 && while [ $i -lt 16 ]; do mkdir \(longName) && cd \(longName) || exit 1; i=$((i+1)); done
        mkdir \(longName) && echo lost > \(longName)/f
        """

    /// Removes the tree ``makeDeepTree`` made, from the bottom up (`rm -r` would need the long paths).
    static let removeDeepTree = """
        cd /deep && i=0 && while [ $i -lt 16 ]; do cd \(longName) || exit 1; i=$((i+1)); done
        rm \(longName)/f && rmdir \(longName) || exit 1
        while [ $i -gt 0 ]; do cd .. && rmdir \(longName) || exit 1; i=$((i-1)); done
        """

    /// The pack holding data blob `blob` in the repository of `app`, with the blob's offset and length; nil when
    /// no index lists it.
    static func pack(holding blob: String, stack: FsBackupStack) async throws -> (id: String, offset: Int, length: Int)?
    {
        let indexes = try await stack.restic(["list", "index"])
        try #require(indexes.status == 0, "\(indexes.output)")
        for index in indexes.stdout.split(separator: "\n") {
            let shown = try await stack.restic(["cat", "index", String(index)])
            let json = try JSONValue(parsing: Array(shown.stdoutData))
            for pack in json["packs"]?.arrayValue ?? [] {
                for entry in pack["blobs"]?.arrayValue ?? [] where entry["id"]?.stringValue == blob {
                    return (
                        try #require(pack["id"]?.stringValue), Int(try #require(entry["offset"]?.intValue)),
                        Int(try #require(entry["length"]?.intValue))
                    )
                }
            }
        }
        return nil
    }

    @Test(.timeLimit(.minutes(6)))
    func anUnreadableItemOrACorruptedPackFailsOnlyItsVolume() async throws {
        try await FsBackupStack.with(prefix: "lifeboat-fs-bad") { stack in
            let client = stack.client
            try await client.createNamespaceAndWait("app")
            try await stack.createClaim("good")
            var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: "mixed")
            pod.value[path: ["metadata", "annotations"]] = ["backup.velero.io/backup-volumes": "good,deep"]
            pod["spec"] = [
                "terminationGracePeriodSeconds": 2,
                "containers": [
                    FsBackupFidelityTests.container(Self.writer, mounts: ["good": "/good", "deep": "/deep"])
                ],
                "volumes": [
                    ["name": "good", "persistentVolumeClaim": ["claimName": "good"]],
                    ["name": "deep", "emptyDir": [:]],
                ],
            ]
            _ = try await client.create(.pods, pod)
            try await stack.waitForPod("mixed", marker: "/deep/done")

            // MARK: an item that cannot be read
            try await stack.exec(Self.makeDeepTree, pod: "mixed")
            let unreadable = try await stack.lifeboat([
                "backup", "create", "bad", "--include-namespaces", "app", "--wait",
            ])
            #expect(try await stack.backupPhase("bad") == "PartiallyFailed", "\(unreadable.output)")
            let loads = try await stack.podVolumeBackups(of: "bad")
            let failed = try #require(loads.first { $0.volume == "deep" })
            let message = failed["status"]?["message"]?.stringValue ?? ""
            print("a volume with an unreadable item: PodVolumeBackup message \(message.debugDescription)")
            #expect(failed.phase == "Failed", "\(failed.value.jsonString)")
            #expect(message.contains("ENAMETOOLONG") && message.contains("File name too long"), "\(message)")
            // The path, shortened to its start and end (a termination message keeps only its last 4096 bytes).
            #expect(message.contains("could not be read: "), "\(message)")
            #expect(message.contains("\(Self.longName.prefix(60))"), "the path is named: \(message)")
            #expect(message.utf8.count < 1024, "\(message)")
            #expect(loads.first { $0.volume == "good" }?.phase == "Completed", "\(loads.map(\.value.jsonString))")
            try await stack.exec(Self.removeDeepTree, pod: "mixed")

            // MARK: a corrupted pack at restore
            let backup = try await stack.lifeboat(["backup", "create", "ok", "--include-namespaces", "app", "--wait"])
            try #require(try await stack.backupPhase("ok") == "Completed", "\(backup.output)")
            let good = try #require(try await stack.podVolumeBackups(of: "ok").first { $0.volume == "good" })
            let snapshot = try #require(good["status"]?["snapshotID"]?.stringValue)
            let shown = try await stack.restic(["cat", "snapshot", snapshot])
            let tree = try #require(try JSONValue(parsing: Array(shown.stdoutData))["tree"]?.stringValue)
            let listed = try await stack.restic(["cat", "blob", tree])
            let nodes = try JSONValue(parsing: Array(listed.stdoutData))["nodes"]?.arrayValue ?? []
            let file = try #require(nodes.first { $0["name"] == "file.bin" }, "\(listed.output)")
            let blob = try #require(file["content"]?[0]?.stringValue)
            let (pack, offset, length) = try #require(try await Self.pack(holding: blob, stack: stack), "\(blob)")
            let packFile = stack.bucket.appendingPathComponent("restic/app/data/\(pack.prefix(2))/\(pack)")
            let handle = try FileHandle(forUpdating: packFile)
            try handle.seek(toOffset: UInt64(offset + length / 2))
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: UInt64(offset + length / 2))
            try handle.write(contentsOf: Data([byte ^ 0xff]))
            try handle.close()
            let restore = try await stack.lifeboat([
                "restore", "create", "r1", "--from-backup", "ok", "--namespace-mappings", "app:app2", "--wait",
            ])
            #expect(try await stack.restorePhase("r1") == "PartiallyFailed", "\(restore.output)")
            let restores = try await stack.podVolumeRestores(of: "r1")
            let broken = try #require(restores.first { $0.volume == "good" })
            let reason = broken["status"]?["message"]?.stringValue ?? ""
            print("a corrupted pack: PodVolumeRestore message \(reason.debugDescription)")
            #expect(broken.phase == "Failed", "\(broken.value.jsonString)")
            #expect(reason.contains("file.bin") && reason.contains(blob) && reason.contains(pack), "\(reason)")
            #expect(restores.first { $0.volume == "deep" }?.phase == "Completed", "\(restores.map(\.value.jsonString))")
            // The restored pod waits in restore-wait for its broken volume; the other volume's data is there.
            let kept = try await client.exec(
                namespace: "app2",
                pod: "mixed",
                container: "restore-wait",
                command: ["cat", "/restores/deep/x.txt"]
            )
            #expect(kept.stdoutText == "kept\n", "\(kept.stderrText)")
        }
    }
}
