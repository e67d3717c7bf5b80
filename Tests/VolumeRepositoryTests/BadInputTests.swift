import Foundation
import ObjectStorage
import ProcessTesting
import Testing

@testable import VolumeRepository

#if canImport(Glibc)
import Glibc
#endif

/// Items a backup cannot store normally: reported per item, the snapshot is still written, exit code 3.
struct BadInputTests {
    let password = "bad input"

    /// A new repository in `dir` and the CLI arguments that open it.
    func makeRepository(in dir: TempDir) async throws -> (FilesystemObjectStore, String, [String]) {
        let repoPath = dir.sub("repo")
        let store = try FilesystemObjectStore(root: repoPath, configuration: .init(createRoot: true))
        _ = try await Repository.initialize(store: store, password: password, configuration: .testing, logger: .test)
        let passwordFile = dir.sub("password")
        try Data("\(password)\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        return (store, repoPath, ["--repo", repoPath, "--password-file", passwordFile])
    }

    @Test func oddItemsAreStoredOrReportedAndTheSnapshotIsStillWritten() async throws {
        let lifeboat = try LifeboatProcess.require()
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        // A non-UTF-8 name, a 255-byte name, a deep path, a FIFO and an ordinary file.
        let rawName: [UInt8] = Array("bad-".utf8) + [0xff, 0xfe] + Array(".txt".utf8)
        let rawPath = Array(source.utf8) + [0x2f] + rawName
        let fd = rawPath.withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        #expect(fd >= 0)
        _ = "not utf-8 name\n".withCString { write(fd, $0, 15) }
        close(fd)
        let longName = String(repeating: "n", count: 251) + ".txt"
        try Data("long\n".utf8).write(to: URL(fileURLWithPath: source + "/" + longName))
        var deep = source
        for i in 0..<25 { deep += "/" + String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: 100) }
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        try Data("deep\n".utf8).write(to: URL(fileURLWithPath: deep + "/file"))
        #expect(mkfifo(source + "/fifo", 0o644) == 0)
        try Data("plain\n".utf8).write(to: URL(fileURLWithPath: source + "/plain.txt"))

        let (store, repoPath, common) = try await makeRepository(in: dir)

        // /proc/self/mem opens, but reading offset 0 fails (EIO) even as root: an unreadable file.
        let backup = try await LifeboatProcess.run(
            lifeboat,
            ["repo", "backup"] + common + [source, "/proc/self/mem"],
            outputPath: dir.sub("backup.log")
        )
        #expect(backup.status == 3, "exit code should say the snapshot is incomplete: \(backup.output)")
        #expect(backup.output.contains("/proc/self/mem"), "the unreadable file is named: \(backup.output)")
        #expect(backup.output.contains("snapshot"), "\(backup.output)")

        let repo = try await Repository.open(store: store, password: password, logger: .test)
        #expect(try await repo.snapshots().count == 1)
        let check = try await Restic.run(["-r", repoPath, "check", "--read-data"], password: password)
        #expect(check.output.contains("no errors were found"), "\(check.output)")

        // Everything else comes back, byte-exact names included.
        let target = dir.sub("restore")
        let restored = try await repo.restore(RestoreOptions(target: target), logger: .test)
        #expect(restored.isComplete, "\(restored.errors)")
        let restoredRaw = Array(target.utf8) + rawPath
        var st = stat()
        #expect(restoredRaw.withCString { lstat($0, &st) } == 0, "non-UTF-8 name restored")
        #expect(st.st_size == 15)
        #expect(FileManager.default.fileExists(atPath: target + source + "/" + longName))
        #expect(FileManager.default.fileExists(atPath: target + deep + "/file"))
        #expect(lstat(target + source + "/fifo", &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        #expect(try String(contentsOfFile: target + source + "/plain.txt", encoding: .utf8) == "plain\n")
        // restic restores the same tree, including the raw name.
        let resticTarget = dir.sub("restic-restore")
        try await Restic.run(["-r", repoPath, "restore", "latest", "--target", resticTarget], password: password)
        let resticRaw = Array(resticTarget.utf8) + rawPath
        #expect(resticRaw.withCString { lstat($0, &st) } == 0, "restic restores the non-UTF-8 name")
    }

    /// `--read-concurrency` (restic's flag, default `$RESTIC_READ_CONCURRENCY` or 2): any number of files
    /// read at once gives the same snapshot content; a value that is not a positive number is one clear line.
    @Test func readConcurrencyFlagAndVariable() async throws {
        let lifeboat = try LifeboatProcess.require()
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        // Several multi-chunk files, so chunk buffers move between files that are read at once.
        try Fixture.makeTree(at: source, bigFileSize: 6 * 1024 * 1024, seed: 7)
        for i in 0..<3 {
            try Fixture.makeTree(at: source + "/copy\(i)", bigFileSize: (2 + i) * 1024 * 1024, seed: UInt64(10 + i))
        }
        let (store, repoPath, common) = try await makeRepository(in: dir)

        for (n, args, environment) in [
            (1, ["--read-concurrency", "1"], [:]), (4, [], ["RESTIC_READ_CONCURRENCY": "4"]),
        ] as [(Int, [String], [String: String])] {
            let backup = try await LifeboatProcess.run(
                lifeboat,
                ["repo", "backup", "--force"] + common + args + [source],
                outputPath: dir.sub("backup-\(n).log"),
                environment: environment
            )
            #expect(backup.status == 0, "\(backup.output)")
            let target = dir.sub("restore-\(n)")
            let restore = try await LifeboatProcess.run(
                lifeboat,
                ["repo", "restore", "latest", "--target", target] + common,
                outputPath: dir.sub("restore-\(n).log")
            )
            #expect(restore.status == 0, "\(restore.output)")
            try Fixture.expectSameTree(source, target + source)
        }
        let check = try await Restic.run(["-r", repoPath, "check", "--read-data"], password: password)
        #expect(check.output.contains("no errors were found"), "\(check.output)")

        for (name, args, environment, mentions) in [
            ("zero", ["--read-concurrency", "0"], [:], "--read-concurrency 0"),
            ("word", [], ["RESTIC_READ_CONCURRENCY": "many"], "RESTIC_READ_CONCURRENCY=many"),
        ] as [(String, [String], [String: String], String)] {
            let bad = try await LifeboatProcess.run(
                lifeboat,
                ["repo", "backup"] + common + args + [source],
                outputPath: dir.sub("bad-\(name).log"),
                environment: environment
            )
            #expect(bad.status != 0)
            #expect(bad.output.contains(mentions), "\(bad.output)")
            #expect(!bad.output.contains("Fatal error"), "\(bad.output)")
        }
        let repo = try await Repository.open(store: store, password: password, logger: .test)
        #expect(try await repo.snapshots().count == 2)  // the bad invocations wrote nothing
    }
}
