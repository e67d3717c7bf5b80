import Crypto
import Foundation
import ObjectStorage
import ProcessTesting
import Testing

@testable import VolumeRepository

#if canImport(Glibc)
import Glibc
#endif

/// Crash safety of the `lifeboat repo` commands: SIGKILL at random moments, re-runs, wrong credentials.
struct ReliabilityTests {
    let password = "reliable password"

    /// A local repository with cheap scrypt parameters (the CLI reads N/r/p from the key file).
    func makeRepository(at path: String) async throws -> Repository {
        let store = try FilesystemObjectStore(root: path, configuration: .init(createRoot: true))
        return try await Repository.initialize(store: store, password: password, configuration: .testing, logger: .test)
    }

    /// Writes `count` random bytes to `path`.
    func writeRandom(_ path: String, count: Int, rng: inout SplitMix) throws {
        var bytes = [UInt8](repeating: 0, count: count)
        for i in stride(from: 0, to: count, by: 8) {
            let v = rng.next()
            for k in 0..<min(8, count - i) { bytes[i + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Every file stored under a content-addressed name must hash to that name: no half-written file may
    /// sit under a final name. Returns the number of leftover temporary files (ignored by restic).
    func expectNoTornFiles(in repo: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        var temporary = 0
        var verified = 0
        guard let walker = FileManager.default.enumerator(atPath: repo) else { return 0 }
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            var st = stat()
            guard lstat(repo + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, rel != "config" else { continue }
            if name.hasPrefix(".lifeboat-tmp-") {
                temporary += 1
                continue
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: repo + "/" + rel))
            let hex = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            #expect(
                hex == name,
                "\(rel) (\(data.count) bytes) does not hash to its name",
                sourceLocation: sourceLocation
            )
            verified += 1
        }
        #expect(verified > 0, sourceLocation: sourceLocation)
        return temporary
    }

    @Test func backupKilledAtRandomMomentsLeavesAConsistentRepository() async throws {
        let lifeboat = try LifeboatProcess.require()
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try FileManager.default.createDirectory(atPath: source + "/small", withIntermediateDirectories: true)
        var rng = SplitMix(seed: 7)
        for i in 0..<40 {
            try Data(String(repeating: "line \(i) of a small text file\n", count: 100 + i * 20).utf8)
                .write(to: URL(fileURLWithPath: source + "/small/f\(i).txt"))
        }
        try writeRandom(source + "/big.bin", count: 2_500_000, rng: &rng)
        let repoPath = dir.sub("repo")
        _ = try await makeRepository(at: repoPath)
        let passwordFile = dir.sub("password")
        try Data("\(password)\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let common = ["--repo", repoPath, "--password-file", passwordFile]

        // How long one round's backup takes here (an incremental backup with new content, into a throw-away
        // repository), to spread the kills over it.
        let probeRepo = dir.sub("probe")
        _ = try await makeRepository(at: probeRepo)
        let probeArgs = ["repo", "backup", "--repo", probeRepo, "--password-file", passwordFile, source]
        let first = try await LifeboatProcess.run(lifeboat, probeArgs, outputPath: dir.sub("probe-1.log"))
        #expect(first.status == 0, "probe backup failed: \(first.output)")
        try writeRandom(source + "/changing.bin", count: 690_000, rng: &rng)
        let probeStart = ContinuousClock.now
        let probe = try await LifeboatProcess.run(lifeboat, probeArgs, outputPath: dir.sub("probe-2.log"))
        #expect(probe.status == 0, "probe backup failed: \(probe.output)")
        let full = ContinuousClock.now - probeStart
        var fullMs = max(20, Int(full.components.seconds * 1000 + full.components.attoseconds / 1_000_000_000_000_000))

        var killed = 0
        for round in 0..<20 {
            // New content every round, so every backup has new blobs and packs to write.
            try writeRandom(source + "/changing.bin", count: 700_000 + round * 10_000, rng: &rng)
            try Data("round \(round)\n".utf8).write(to: URL(fileURLWithPath: source + "/small/new-\(round).txt"))
            let child = try LifeboatProcess.start(
                lifeboat,
                ["repo", "backup"] + common + [source],
                outputPath: dir.sub("backup-\(round).log")
            )
            let delay = Int(rng.next() % UInt64(fullMs))
            try await Task.sleep(for: .milliseconds(delay))
            try await child.kill()
            let status = try await child.wait()
            if status == 128 + SIGKILL {
                killed += 1
            } else {
                #expect(status == 0, "round \(round): backup failed before the kill: \(child.output)")
                // It finished within `delay`: the probe ran on a busier machine. Spread later kills over less.
                fullMs = max(20, delay)
            }
        }
        #expect(
            killed >= 5,
            "only \(killed) of 20 backups were killed before they finished (one round's backup: \(fullMs) ms)"
        )

        // No half-written file under a final name; temporary files are never listed.
        _ = try expectNoTornFiles(in: repoPath)

        // Lifeboat treats the killed processes' locks as stale (same host, dead PID), like restic.
        let check = try await LifeboatProcess.run(
            lifeboat,
            ["repo", "check", "--read-data"] + common,
            outputPath: dir.sub("check.log")
        )
        #expect(check.status == 0, "lifeboat repo check failed: \(check.output)")

        // restic 0.14 refuses an exclusive lock while any other lock exists, even a stale one; `restic unlock`
        // removes locks of dead processes on this host — it must recognise ours as stale.
        try await Restic.run(["-r", repoPath, "unlock"], password: password)
        let locksLeft = (try? FileManager.default.contentsOfDirectory(atPath: repoPath + "/locks")) ?? []
        #expect(locksLeft.filter { !$0.hasPrefix(".") }.isEmpty, "restic unlock left locks: \(locksLeft)")
        let resticCheck = try await Restic.run(["-r", repoPath, "check", "--read-data"], password: password)
        #expect(resticCheck.output.contains("no errors were found"), "\(resticCheck.output)")

        // The next backup succeeds and restores to the source.
        let next = try await LifeboatProcess.run(
            lifeboat,
            ["repo", "backup"] + common + [source],
            outputPath: dir.sub("next.log")
        )
        #expect(next.status == 0, "backup after the kills failed: \(next.output)")
        let target = dir.sub("restore")
        let restore = try await LifeboatProcess.run(
            lifeboat,
            ["repo", "restore", "latest", "--target", target] + common,
            outputPath: dir.sub("restore.log")
        )
        #expect(restore.status == 0, "\(restore.output)")
        try Fixture.expectSameTree(source, target + source)
        let finalCheck = try await Restic.run(["-r", repoPath, "check"], password: password)
        #expect(finalCheck.output.contains("no errors were found"), "\(finalCheck.output)")
    }

    @Test func interruptedRestoreCanBeRerun() async throws {
        let lifeboat = try LifeboatProcess.require()
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 2_000_000, seed: 11)
        let repoPath = dir.sub("repo")
        let repo = try await makeRepository(at: repoPath)
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        let passwordFile = dir.sub("password")
        try Data("\(password)\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let target = dir.sub("restore")
        let args = [
            "repo", "restore", "latest", "--target", target, "--repo", repoPath, "--password-file", passwordFile,
        ]
        var rng = SplitMix(seed: 3)
        for round in 0..<4 {
            let child = try LifeboatProcess.start(lifeboat, args, outputPath: dir.sub("restore-\(round).log"))
            try await Task.sleep(for: .milliseconds(Int(rng.next() % 400)))
            try await child.kill()
        }
        let last = try await LifeboatProcess.run(lifeboat, args, outputPath: dir.sub("restore-final.log"))
        #expect(last.status == 0, "\(last.output)")
        try Fixture.expectSameTree(source, target + source)
    }

    @Test func wrongPasswordAndWrongRepositoryAreOneClearLine() async throws {
        let lifeboat = try LifeboatProcess.require()
        let dir = try TempDir()
        defer { dir.cleanup() }
        let repoPath = dir.sub("repo")
        _ = try await makeRepository(at: repoPath)
        let wrong = dir.sub("wrong")
        try Data("not the password\n".utf8).write(to: URL(fileURLWithPath: wrong))

        let bad = try await LifeboatProcess.run(
            lifeboat,
            ["repo", "snapshots", "--repo", repoPath, "--password-file", wrong],
            outputPath: dir.sub("a.log")
        )
        #expect(bad.status != 0)
        let lines = bad.output.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count == 1, "expected one line, got: \(bad.output)")
        #expect(bad.output.lowercased().contains("password"), "\(bad.output)")

        let missing = try await LifeboatProcess.run(
            lifeboat,
            ["repo", "snapshots", "--repo", dir.sub("nowhere"), "--password-file", wrong],
            outputPath: dir.sub("b.log")
        )
        #expect(missing.status != 0)
        #expect(
            missing.output.split(separator: "\n").filter { !$0.isEmpty }.count == 1,
            "expected one line, got: \(missing.output)"
        )
        #expect(missing.output.contains("nowhere"), "\(missing.output)")

        let noFile = try await LifeboatProcess.run(
            lifeboat,
            ["repo", "snapshots", "--repo", repoPath, "--password-file", dir.sub("no-such-file")],
            outputPath: dir.sub("c.log")
        )
        #expect(noFile.status != 0)
        #expect(noFile.output.contains("no-such-file"), "\(noFile.output)")
        #expect(
            noFile.output.split(separator: "\n").filter { !$0.isEmpty }.count == 1,
            "expected one line, got: \(noFile.output)"
        )
    }
}
