import Foundation
import Logging
import ObjectStorage
import ProcessTesting
import Testing

@testable import VolumeRepository

#if canImport(Glibc)
import Glibc
#endif

/// A unique temporary directory, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/lifeboat-vr-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Builds a small source tree with the kinds of items restic handles.
enum Fixture {
    /// Writes files, dirs, a symlink, an empty dir, a hard link and a multi-chunk random file under `root`.
    static func makeTree(at root: String, bigFileSize: Int = 3 * 1024 * 1024, seed: UInt64 = 42) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/docs/deep/er", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try Data("hello lifeboat\n".utf8).write(to: URL(fileURLWithPath: root + "/docs/hello.txt"))
        try Data(String(repeating: "a line of text for zstd\n", count: 5000).utf8).write(
            to: URL(fileURLWithPath: root + "/docs/deep/text.log")
        )
        try Data().write(to: URL(fileURLWithPath: root + "/docs/deep/er/empty-file"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/docs/mode600"))
        chmod(root + "/docs/mode600", 0o600)
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: root + "/docs/run.sh"))
        chmod(root + "/docs/run.sh", 0o755)
        symlink("docs/hello.txt", root + "/link-to-hello")
        link(root + "/docs/hello.txt", root + "/hardlink-hello")
        var rng = SplitMix(seed: seed)
        var big = [UInt8](repeating: 0, count: bigFileSize)
        for i in stride(from: 0, to: big.count, by: 8) {
            let v = rng.next()
            for k in 0..<min(8, big.count - i) { big[i + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
        }
        // A run of zeros for sparse restore.
        for i in (bigFileSize / 3)..<(bigFileSize / 3 + min(bigFileSize / 3, 1024 * 1024)) { big[i] = 0 }
        try Data(big).write(to: URL(fileURLWithPath: root + "/big.bin"))
        // Fixed mtimes with nanoseconds.
        for (i, p) in ["/docs/hello.txt", "/docs/deep/text.log", "/big.bin", "/docs/run.sh"].enumerated() {
            var times = [
                timespec(tv_sec: 1_700_000_000 + i, tv_nsec: 123_456_789),
                timespec(tv_sec: 1_700_000_000 + i, tv_nsec: 987_654_321),
            ]
            utimensat(AT_FDCWD, root + p, &times, 0)
        }
    }

    /// What is compared between two trees: type, permissions, mtime, contents or link target.
    struct Entry: Equatable, CustomStringConvertible {
        var type: UInt32
        var mode: UInt32
        var mtime: Int64
        var mtimeNsec: Int
        var content: Data?
        var linkTarget: String?
        var description: String {
            "type \(String(type, radix: 8)) mode \(String(mode, radix: 8)) mtime \(mtime).\(mtimeNsec) size \(content?.count ?? -1) link \(linkTarget ?? "-")"
        }
    }

    /// Walks `root` and records every item by relative path.
    static func snapshot(of root: String) throws -> [String: Entry] {
        var result: [String: Entry] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let rel = walker.nextObject() as? String {
            let path = root + "/" + rel
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let type = UInt32(st.st_mode) & 0o170000
            var entry = Entry(
                type: type,
                mode: UInt32(st.st_mode) & 0o7777,
                mtime: Int64(st.st_mtim.tv_sec),
                mtimeNsec: st.st_mtim.tv_nsec,
                content: nil,
                linkTarget: nil
            )
            if type == 0o100000 { entry.content = FileManager.default.contents(atPath: path) }
            if type == 0o120000 { entry.linkTarget = try FileManager.default.destinationOfSymbolicLink(atPath: path) }
            result[rel] = entry
        }
        return result
    }

    static func expectSameTree(_ a: String, _ b: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let left = try snapshot(of: a)
        let right = try snapshot(of: b)
        #expect(left.count > 0, sourceLocation: sourceLocation)
        #expect(Set(left.keys) == Set(right.keys), sourceLocation: sourceLocation)
        for (k, v) in left {
            #expect(
                right[k] == v,
                "\(k): \(v) vs \(right[k].map { "\($0)" } ?? "missing")",
                sourceLocation: sourceLocation
            )
        }
    }
}

/// Deterministic pseudo-random numbers for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs the real restic binary.
enum Restic {
    static var path: String? { try? ChildProcess.find("restic") }

    @discardableResult
    static func run(
        _ args: [String],
        password: String,
        allowFailure: Bool = false
    ) async throws -> (status: Int32, output: String) {
        guard let path else {
            Issue.record("restic not found on PATH; `make test` installs it (Debian package restic)")
            return (-1, "")
        }
        let environment = [
            "RESTIC_PASSWORD": password,
            "RESTIC_CACHE_DIR": FileManager.default.temporaryDirectory.path + "/lifeboat-vr-restic-cache",
        ]
        let result = try await ChildProcess.run(path, args, environment: environment)
        let (status, output) = (result.status, result.stdout + result.stderr)
        if !allowFailure && status != 0 {
            Issue.record("restic \(args.joined(separator: " ")) failed (\(status)): \(output)")
        }
        return (status, output)
    }
}

extension Repository {
    /// `check --read-data` finds nothing wrong and a full restore into `target` gives back `source`'s tree.
    func expectCleanAndRestores(
        _ source: String,
        into target: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let report = try await check(readData: true, logger: .test)
        #expect(report.isClean, "\(report.errors)", sourceLocation: sourceLocation)
        let restored = try await restore(RestoreOptions(target: target), logger: .test)
        #expect(restored.isComplete, "\(restored.errors)", sourceLocation: sourceLocation)
        try Fixture.expectSameTree(source, target + source, sourceLocation: sourceLocation)
    }
}

extension Logger {
    static var test: Logger {
        var l = Logger(label: "test.volume-repository")
        l.logLevel = .warning
        return l
    }
}
