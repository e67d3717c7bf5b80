import ArgumentParser
import BackupEngine
import Foundation
import KubeSandbox
import Kubernetes
import LocalServers
import Logging
import ObjectStorage
import VeleroAPI

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench faults`: a soak of runs killed with SIGKILL at random moments, against an in-process sandbox
/// and a local-folder storage location, with the `lifeboat` executable built next to `lifeboat-bench`.
///
/// Each backup run is killed at a random moment within a normal run's duration; a killed run is cleaned up with
/// `lifeboat backup delete NAME` and retried under the same name. Each restore run is killed the same way and
/// retried (under a new name: restores have no `delete`). At the end every backup visible as `Completed` must
/// read back whole (tarball, results, resource list, log), every retry must have succeeded, and no claim or
/// temporary file may remain. `repo backup` runs are killed and retried the same way, then the repository is
/// unlocked and pruned and must pass `restic check --read-data`. Object-store faults (503 SlowDown, 500 and
/// resets through a proxy; no slow answers yet) are injected into backups to moto_server, which must complete.
struct FaultsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Soak: backups and restores killed with SIGKILL at random moments, cleaned up and retried."
    )

    @Option(help: "Backups and restores to kill (each).") var runs: Int = 20
    @Option(help: "ConfigMaps in the backed-up namespace.") var configmaps: Int = 300
    @Option(help: "Seed of the random kill moments.") var seed: UInt64 = 1

    /// What the soak counted.
    struct Counts {
        var runs = 0
        var kills = 0
        var finishedBeforeKill = 0
        var cleanups = 0
        var retriesSucceeded = 0
        var failuresDetected: [String] = []
        var dataLost = 0
        var leftovers: [String] = []
    }

    func run() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("lifeboat").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no lifeboat executable next to lifeboat-bench (\(binary)): run `swift build` first")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-faults-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let sandbox = try await Sandbox.start(SandboxConfiguration(port: 0, nodes: 1, customResources: .velero))
        do {
            try sandbox.writeKubeconfig(to: root.appendingPathComponent("kubeconfig").path)
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            try await withKubeClient(config: config, configuration: .init(qps: 0), logger: logger) { client in
                var soak = Soak(binary: binary, root: root, client: client, seed: seed)
                try await soak.run(runs: runs, configmaps: configmaps)
            }
        } catch {
            try? await sandbox.stop()
            throw error
        }
        try await sandbox.stop()
    }
}

/// One soak run: the cluster, the folder and the counts.
private struct Soak {
    let binary: String
    let root: URL
    let client: KubeClient
    var random: SplitMix

    init(binary: String, root: URL, client: KubeClient, seed: UInt64) {
        self.binary = binary
        self.root = root
        self.client = client
        self.random = SplitMix(seed: seed)
    }

    var bucket: URL { root.appendingPathComponent("bucket") }

    /// Runs `lifeboat arguments…` to its end, or kills it with SIGKILL after `killAfter`.
    /// - Returns: the exit status (128 + 9 when killed), whether it was killed, and its output.
    func lifeboat(_ arguments: [String], killAfter: Duration? = nil) async throws -> (Int32, Bool, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = [
            "KUBECONFIG": root.appendingPathComponent("kubeconfig").path, "HOME": root.path, "PATH": "/usr/bin:/bin",
        ]
        let log = root.appendingPathComponent("child.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try handle.close()
        var killed = false
        if let killAfter {
            let deadline = ContinuousClock.now + killAfter
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return (status, killed, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    mutating func run(runs: Int, configmaps: Int) async throws {
        _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero"))
        _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "app"))
        for index in 0..<configmaps {
            var object = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "cm-\(index)")
            object["data"] = ["payload": .string(String(repeating: "x", count: 1000))]
            _ = try await client.create(.configMaps, object)
        }
        let location = try await lifeboat([
            "backup-location", "create", "default", "--provider", "filesystem", "--bucket", bucket.path, "--default",
        ])
        guard location.0 == 0 else { throw ValidationError("backup-location create failed: \(location.2)") }

        // A normal run of each kind sets the window in which kills land.
        let backupStart = ContinuousClock.now
        let baseline = try await lifeboat(["backup", "create", "base", "--include-namespaces", "app"])
        let backupWindow = ContinuousClock.now - backupStart
        guard baseline.0 == 0 else { throw ValidationError("the baseline backup failed: \(baseline.2)") }
        let restoreStart = ContinuousClock.now
        let restoreBase = try await lifeboat([
            "restore", "create", "rbase", "--from-backup", "base", "--namespace-mappings", "app:rbase",
        ])
        let restoreWindow = ContinuousClock.now - restoreStart
        guard restoreBase.0 == 0 else { throw ValidationError("the baseline restore failed: \(restoreBase.2)") }
        print(String(format: "baseline: backup %.2fs, restore %.2fs", backupWindow.inSeconds, restoreWindow.inSeconds))

        var backups = FaultsBench.Counts()
        for index in 0..<runs {
            let name = "kb-\(index)"
            backups.runs += 1
            let delay = backupWindow * random.unit()
            let (_, killed, _) = try await lifeboat(
                ["backup", "create", name, "--include-namespaces", "app"],
                killAfter: delay
            )
            guard killed else {
                backups.finishedBeforeKill += 1
                continue
            }
            backups.kills += 1
            let deleted = try await lifeboat(["backup", "delete", name, "--confirm"])
            if deleted.0 == 0 {
                backups.cleanups += 1
            } else if !deleted.2.contains("not found") {
                backups.failuresDetected.append("backup delete \(name): \(deleted.2)")
            }
            let retry = try await lifeboat(["backup", "create", name, "--include-namespaces", "app"])
            if retry.0 == 0 {
                backups.retriesSucceeded += 1
            } else {
                backups.failuresDetected.append("retry of backup \(name): \(retry.2)")
            }
        }

        var restores = FaultsBench.Counts()
        for index in 0..<runs {
            restores.runs += 1
            let delay = restoreWindow * random.unit()
            let arguments = ["--from-backup", "base", "--namespace-mappings", "app:kr-\(index)"]
            let (_, killed, _) = try await lifeboat(["restore", "create", "kr-\(index)"] + arguments, killAfter: delay)
            guard killed else {
                restores.finishedBeforeKill += 1
                continue
            }
            restores.kills += 1
            let retry = try await lifeboat(["restore", "create", "kr-\(index)-retry"] + arguments)
            if retry.0 == 0 {
                restores.retriesSucceeded += 1
            } else {
                restores.failuresDetected.append("retry of restore kr-\(index): \(retry.2)")
            }
        }

        let repos = try await soakRepository(runs: runs)
        let s3 = try await soakObjectStoreFaults(runs: runs)

        // Checks: Completed backups read back whole; no claim or temporary file is left.
        let store = BackupStore(store: try FilesystemObjectStore(root: bucket.path), prefix: nil)
        let (checked, lost) = try await Self.readBackCompleted(store)
        backups.dataLost += lost.count
        backups.failuresDetected += lost
        let walker = FileManager.default.enumerator(atPath: bucket.path)
        while let path = walker?.nextObject() as? String {
            let file = (path as NSString).lastPathComponent
            if file == "lifeboat-claim.json" || file.hasPrefix(".lifeboat-tmp-") { backups.leftovers.append(path) }
        }

        print("kind      runs  kills  finished-before-kill  cleaned-up  retries-ok  failures  data-lost  leftovers")
        for (kind, counts) in [("backup", backups), ("restore", restores), ("repo", repos)] {
            print(
                kind.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + [
                        counts.runs, counts.kills, counts.finishedBeforeKill, counts.cleanups, counts.retriesSucceeded,
                        counts.failuresDetected.count, counts.dataLost, counts.leftovers.count,
                    ].map { "\($0)".padding(toLength: 6, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            )
        }
        print("completed backups read back whole: \(checked)")
        print(
            "s3 faults: \(s3.counts.runs) backups through the proxy, \(s3.faults) faults injected (503, 500, reset, answer 1 s late), "
                + "\(s3.counts.retriesSucceeded) completed, \(s3.counts.failuresDetected.count) failures, "
                + "\(s3.counts.dataLost) data lost, \(s3.checked) completed backups read back whole"
        )
        let failures =
            backups.failuresDetected + restores.failuresDetected + repos.failuresDetected + s3.counts.failuresDetected
        for failure in failures { print("FAILURE: \(failure)") }
        for leftover in backups.leftovers + repos.leftovers { print("LEFTOVER: \(leftover)") }
        let failed = failures.count + backups.leftovers.count + repos.leftovers.count
        if failed > 0 { throw ExitCode(1) }
    }
}

extension Soak {
    /// Reads back every backup of `store` visible as `Completed`: tarball, results, resource list and log.
    /// - Returns: how many were read, and one line per backup that does not read back.
    static func readBackCompleted(_ store: BackupStore) async throws -> (Int, [String]) {
        var checked = 0
        var lost: [String] = []
        for name in try await store.backupNames() {
            guard let backup = try await store.backup(named: name), backup.status?.phase == BackupPhase.completed
            else { continue }
            checked += 1
            do {
                _ = try await BackupContents.read(
                    try await store.tarball(of: name),
                    source: store.layout.backupContents(name)
                )
                for key in [
                    store.layout.backupResults(name), store.layout.backupResourceList(name),
                    store.layout.backupLog(name),
                ] where try await store.gunzipped(key) == nil {
                    throw ValidationError("\(key) is missing")
                }
            } catch {
                lost.append("completed backup \(name) does not read back: \(error)")
            }
        }
        return (checked, lost)
    }

    /// Backups to moto_server through a proxy that answers a quarter of the connections with 503 SlowDown, 500, a
    /// reset or a second late: every run must complete (the faults are retried or waited out), and every backup must
    /// read back whole.
    func soakObjectStoreFaults(runs: Int) async throws -> (counts: FaultsBench.Counts, faults: Int, checked: Int) {
        var counts = FaultsBench.Counts()
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let direct = try await moto.makeStore(bucket: "soak", logger: logger)
        let proxy = try await FaultInjectingProxy.start(upstreamPort: moto.port)
        let aws = root.appendingPathComponent(".aws")
        try FileManager.default.createDirectory(at: aws, withIntermediateDirectories: true)
        try Data(
            "[default]\naws_access_key_id = \(MotoServer.accessKeyID)\naws_secret_access_key = \(MotoServer.secretAccessKey)\n"
                .utf8
        ).write(to: aws.appendingPathComponent("credentials"))
        let location = try await lifeboat([
            "backup-location", "create", "s3soak", "--provider", "aws", "--bucket", "soak", "--config",
            "region=us-east-1,s3Url=\(proxy.endpoint),s3ForcePathStyle=true",
        ])
        guard location.0 == 0 else { throw ValidationError("backup-location create s3soak failed: \(location.2)") }
        proxy.injectRandomly(
            rate: 0.25,
            among: [.slowDown, .internalError, .drop, .slowResponse(delay: .seconds(1))],
            seed: 7
        )
        for index in 0..<runs {
            counts.runs += 1
            let run = try await lifeboat([
                "backup", "create", "s3-\(index)", "--storage-location", "s3soak", "--include-namespaces", "app",
            ])
            if run.0 == 0 {
                counts.retriesSucceeded += 1
            } else {
                counts.failuresDetected.append("backup s3-\(index) through faults: \(run.2)")
            }
        }
        proxy.injectRandomly(rate: 0, among: [], seed: 0)
        let faults = proxy.injectedFaults
        await proxy.stop()
        let (checked, lost) = try await Self.readBackCompleted(BackupStore(store: direct, prefix: nil))
        counts.dataLost = lost.count
        counts.failuresDetected += lost
        return (counts, faults, checked)
    }

    /// `repo backup` runs killed at random moments and retried; then `repo unlock` and `repo prune` (which
    /// removes the temporary files of killed writers), and `restic check --read-data` on the repository.
    mutating func soakRepository(runs: Int) async throws -> FaultsBench.Counts {
        var counts = FaultsBench.Counts()
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for index in 0..<200 {
            let bytes = (0..<65_536).map { _ in UInt8.random(in: 0...255) }
            try Data(bytes).write(to: data.appendingPathComponent("file-\(index)"))
        }
        let password = root.appendingPathComponent("password")
        try Data("soak-password\n".utf8).write(to: password)
        let repo = root.appendingPathComponent("repo").path
        let access = ["--repo", repo, "--password-file", password.path]
        let initialized = try await lifeboat(["repo", "init"] + access)
        guard initialized.0 == 0 else { throw ValidationError("repo init failed: \(initialized.2)") }
        let start = ContinuousClock.now
        let baseline = try await lifeboat(["repo", "backup"] + access + [data.path])
        let window = ContinuousClock.now - start
        guard baseline.0 == 0 else { throw ValidationError("the baseline repo backup failed: \(baseline.2)") }
        for index in 0..<runs {
            counts.runs += 1
            // New data each run, so that each backup writes packs.
            let bytes = (0..<65_536).map { _ in UInt8.random(in: 0...255) }
            try Data(bytes).write(to: data.appendingPathComponent("new-\(index)"))
            let (_, killed, _) = try await lifeboat(
                ["repo", "backup"] + access + [data.path],
                killAfter: window * random.unit()
            )
            guard killed else {
                counts.finishedBeforeKill += 1
                continue
            }
            counts.kills += 1
            let retry = try await lifeboat(["repo", "backup"] + access + [data.path])
            if retry.0 == 0 {
                counts.retriesSucceeded += 1
            } else {
                counts.failuresDetected.append("retry of repo backup \(index): \(retry.2)")
            }
        }
        let unlocked = try await lifeboat(["repo", "unlock"] + access)
        let pruned = try await lifeboat(["repo", "prune"] + access)
        if unlocked.0 == 0 && pruned.0 == 0 {
            counts.cleanups += 1
        } else {
            counts.failuresDetected.append("repo unlock/prune: \(unlocked.2) \(pruned.2)")
        }
        let restic = Process()
        restic.executableURL = URL(fileURLWithPath: "/usr/bin/restic")
        restic.arguments = ["-r", repo, "--password-file", password.path, "check", "--read-data"]
        restic.environment = ["HOME": root.path, "PATH": "/usr/bin:/bin"]
        restic.standardOutput = FileHandle.nullDevice
        restic.standardError = FileHandle.nullDevice
        do {
            try restic.run()
            while restic.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            restic.waitUntilExit()
            if restic.terminationStatus != 0 {
                counts.dataLost += 1
                counts.failuresDetected.append("restic check --read-data failed (exit \(restic.terminationStatus))")
            }
        } catch {
            counts.failuresDetected.append("restic could not run: \(error)")
        }
        let walker = FileManager.default.enumerator(atPath: repo)
        while let path = walker?.nextObject() as? String {
            if (path as NSString).lastPathComponent.hasPrefix(".lifeboat-tmp-") { counts.leftovers.append(path) }
        }
        return counts
    }
}

/// A small seeded generator (SplitMix64), so a soak's kill moments can be replayed.
private struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A value in [0, 1).
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
