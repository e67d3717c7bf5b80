import Foundation
import NIOCore
import ObjectStorage
import Testing

@testable import VolumeRepository

struct RepositoryTests {
    let password = "correct horse"

    func makeRepo(_ store: MemoryObjectStore) async throws -> Repository {
        try await Repository.initialize(store: store, password: password, configuration: .testing, logger: .test)
    }

    @Test func wrongPasswordIsAClearError() async throws {
        let store = MemoryObjectStore()
        _ = try await makeRepo(store)
        await #expect {
            _ = try await Repository.open(store: store, password: "wrong", logger: .test)
        } throws: { ($0 as? RepositoryError)?.code == .wrongPassword }
        let reopened = try await Repository.open(store: store, password: password, logger: .test)
        #expect(reopened.config.version == 2)
        await #expect {
            _ = try await Repository.initialize(
                store: store,
                password: password,
                configuration: .testing,
                logger: .test
            )
        } throws: { ($0 as? RepositoryError)?.code == .alreadyExists }
        await #expect {
            _ = try await Repository.open(store: MemoryObjectStore(), password: password, logger: .test)
        } throws: { ($0 as? RepositoryError)?.code == .notARepository }
    }

    @Test func backupRestoreRoundTripAndIncremental() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source)
        let store = MemoryObjectStore()
        let repo = try await makeRepo(store)
        let first = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        #expect(first.isComplete)
        #expect(first.filesNew == 7)
        #expect(first.dataBlobs >= 5)

        let reopened = try await Repository.open(store: store, password: password, logger: .test)
        let second = try await reopened.backup(BackupOptions(paths: [source]), logger: .test)
        #expect(second.parentID == first.snapshotID)
        #expect(second.filesUnmodified == 7)
        #expect(second.dataBlobs == 0)
        // src, docs, docs/deep, docs/deep/er and empty are unchanged: their trees are the parent's.
        #expect(second.dirsUnmodified >= 5)

        let target = dir.sub("restore")
        let restored = try await reopened.restore(RestoreOptions(target: target), logger: .test)
        #expect(restored.isComplete, "\(restored.errors)")
        try Fixture.expectSameTree(source, target + source)
        // The hard link is restored as a hard link.
        let a = try FileManager.default.attributesOfItem(atPath: target + source + "/hardlink-hello")
        let b = try FileManager.default.attributesOfItem(atPath: target + source + "/docs/hello.txt")
        #expect(a[.systemFileNumber] as? Int == b[.systemFileNumber] as? Int)

        let report = try await reopened.check(readData: true, logger: .test)
        #expect(report.isClean, "\(report.errors)")
        #expect(report.packsRead > 0)

        // A change deep down: its directory and those above it get new trees, the rest keep theirs.
        let handle = try #require(FileHandle(forWritingAtPath: source + "/docs/deep/text.log"))
        handle.seekToEndOfFile()
        handle.write(Data("one more line\n".utf8))
        try handle.close()
        let third = try await reopened.backup(BackupOptions(paths: [source]), logger: .test)
        #expect(third.filesChanged == 1)
        #expect(third.filesUnmodified == 6)
        #expect(third.dirsChanged >= 3, "docs/deep, docs and src")
        #expect(third.dirsUnmodified == 2, "docs/deep/er and empty")
        #expect(third.treeBlobs >= 3)
        let again = dir.sub("restore-again")
        let restoredAgain = try await reopened.restore(RestoreOptions(target: again), logger: .test)
        #expect(restoredAgain.isComplete, "\(restoredAgain.errors)")
        try Fixture.expectSameTree(source, again + source)
    }

    @Test func concurrentBackupsIntoOneRepositoryStayConsistent() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let a = dir.sub("a")
        let b = dir.sub("b")
        try Fixture.makeTree(at: a, bigFileSize: 700_000, seed: 1)
        try Fixture.makeTree(at: b, bigFileSize: 900_000, seed: 2)
        let store = MemoryObjectStore()
        _ = try await makeRepo(store)
        let first = try await Repository.open(store: store, password: password, logger: .test)
        let second = try await Repository.open(store: store, password: password, logger: .test)
        async let one = first.backup(BackupOptions(paths: [a]), logger: .test)
        async let two = second.backup(BackupOptions(paths: [b]), logger: .test)
        let (s1, s2) = try await (one, two)
        #expect(s1.isComplete && s2.isComplete)
        let opened = try await Repository.open(store: store, password: password, logger: .test)
        #expect(try await opened.snapshots().count == 2)
        let report = try await opened.check(readData: true, logger: .test)
        #expect(report.isClean, "\(report.errors)")
        let target = dir.sub("restore")
        _ = try await opened.restore(RestoreOptions(snapshot: s2.snapshotID.hex, target: target), logger: .test)
        try Fixture.expectSameTree(b, target + b)
    }

    @Test func restoreWithInclude() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 1000)
        let repo = try await makeRepo(MemoryObjectStore())
        _ = try await repo.backup(BackupOptions(paths: [source], excludes: ["*.log"]), logger: .test)
        let target = dir.sub("restore")
        _ = try await repo.restore(RestoreOptions(target: target, includes: ["docs"]), logger: .test)
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: target + source + "/docs/hello.txt"))
        #expect(!fm.fileExists(atPath: target + source + "/docs/deep/text.log"))  // excluded at backup
        #expect(!fm.fileExists(atPath: target + source + "/big.bin"))  // not included
    }

    @Test func corruptedPackIsNamedByCheckAndOtherFilesStillRestore() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 1000)
        try Data(String(repeating: "victim ", count: 100).utf8).write(to: URL(fileURLWithPath: source + "/victim.txt"))
        let store = MemoryObjectStore()
        var configuration = Repository.Configuration.testing
        configuration.packSize = 1  // one blob per pack
        let repo = try await Repository.initialize(
            store: store,
            password: password,
            configuration: configuration,
            logger: .test
        )
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)

        // Find the pack of victim.txt's blob and flip a byte inside the blob.
        let (_, items) = try await repo.listFiles(snapshot: "latest")
        let victim = try #require(items.first { $0.path.hasSuffix("/victim.txt") })
        let blob = try #require(victim.node.content?.first)
        let location = try #require(repo.index.lookup(BlobHandle(id: blob, type: .data)))
        let key = repo.objectKey(.data, location.pack)
        var bytes = Array(try await store.getData(key).readableBytesView)
        bytes[location.entry.offset + 20] ^= 0xff
        try await store.putData(key, bytes: bytes)

        let opened = try await Repository.open(store: store, password: password, logger: .test)
        let report = try await opened.check(readData: true, logger: .test)
        #expect(!report.isClean)
        #expect(report.damagedBlobs.contains(blob))
        #expect(report.errors.contains { $0.contains(location.pack.hex) })
        #expect(report.damagedFiles.contains { $0.hasSuffix("/victim.txt") })

        let target = dir.sub("restore")
        let restored = try await opened.restore(RestoreOptions(target: target), logger: .test)
        #expect(restored.errors.count == 1)
        #expect(restored.errors.first?.path.hasSuffix("victim.txt") == true)
        let hello = FileManager.default.contents(atPath: target + source + "/docs/hello.txt")
        #expect(hello == Data("hello lifeboat\n".utf8))
    }

    @Test func forgetAndPruneKeepTheRestConsistent() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 2000)
        let store = MemoryObjectStore()
        var configuration = Repository.Configuration.testing
        configuration.packSize = 1
        let repo = try await Repository.initialize(
            store: store,
            password: password,
            configuration: configuration,
            logger: .test
        )
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        try Data("changed content\n".utf8).write(to: URL(fileURLWithPath: source + "/docs/hello.txt"))
        try FileManager.default.removeItem(atPath: source + "/hardlink-hello")
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        let (keep, remove) = try await repo.forget(policy: ForgetPolicy(last: 1), logger: .test)
        #expect(keep.count == 1 && remove.count == 1)
        let pruned = try await repo.prune(logger: .test)
        #expect(pruned.blobsRemoved >= 1)
        let opened = try await Repository.open(store: store, password: password, logger: .test)
        let report = try await opened.check(readData: true, logger: .test)
        #expect(!report.hints.contains { $0.contains("not used") })
        try await opened.expectCleanAndRestores(source, into: dir.sub("restore"))
    }

    /// A backup killed after uploading its packs but before its index, and a write killed before its rename:
    /// prune removes the pack no index refers to and the temporary file, and the repository stays clean.
    @Test func pruneRemovesWhatAKilledBackupLeftBehind() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 200_000)
        let repoPath = dir.sub("repo")
        let store = try FilesystemObjectStore(root: repoPath, configuration: .init(sync: false, createRoot: true))
        let repo = try await Repository.initialize(
            store: store,
            password: password,
            configuration: .testing,
            logger: .test
        )
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        func keys(_ prefix: String) async throws -> Set<String> {
            Set(try await store.listAll(prefix: prefix).map(\.key))
        }
        let (indexes, snapshots, packs) = (
            try await keys("index/"), try await keys("snapshots/"), try await keys("data/")
        )

        // The second backup's new data reaches a pack; its index and snapshot are then removed, as if the
        // process had been killed between the pack upload and the index.
        var rng = SplitMix(seed: 99)
        try Data((0..<300_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(
            to: URL(fileURLWithPath: source + "/new.bin")
        )
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        for key in try await keys("index/").subtracting(indexes).union(
            try await keys("snapshots/").subtracting(snapshots)
        ) {
            try await store.delete(key)
        }
        let orphans = try await keys("data/").subtracting(packs)
        #expect(!orphans.isEmpty)
        let folder = repoPath + "/data/" + String(orphans.sorted()[0].dropFirst("data/".count).prefix(2))
        let temporary = folder + "/.lifeboat-tmp-interrupted"
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: temporary))
        // Another writer's unfinished write in the same store, outside the repository's folders, is not ours.
        try FileManager.default.createDirectory(atPath: repoPath + "/elsewhere", withIntermediateDirectories: true)
        let foreign = repoPath + "/elsewhere/.lifeboat-tmp-someone-else"
        try Data(repeating: 8, count: 10).write(to: URL(fileURLWithPath: foreign))
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -3600)],
            ofItemAtPath: foreign
        )

        let pruned = try await Repository.open(store: store, password: password, logger: .test).prune(logger: .test)
        #expect(pruned.unreferencedPacksDeleted == orphans.count)
        #expect(pruned.abandonedWritesRemoved == 1)
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(FileManager.default.fileExists(atPath: foreign))
        #expect(try await keys("data/") == packs)

        let opened = try await Repository.open(store: store, password: password, logger: .test)
        let report = try await opened.check(readData: true, logger: .test)
        #expect(report.isClean, "\(report.errors)")
        let resticCheck = try await Restic.run(["-r", repoPath, "check", "--read-data"], password: password)
        #expect(resticCheck.output.contains("no errors were found"), "\(resticCheck.output)")
        try FileManager.default.removeItem(atPath: source + "/new.bin")
        let target = dir.sub("restore")
        let restored = try await opened.restore(RestoreOptions(target: target), logger: .test)
        #expect(restored.isComplete)
        try Fixture.expectSameTree(source, target + source)
    }

    @Test func chunkBoundariesStayWithinLimits() throws {
        let chunker = try Chunker(polynomial: Polynomial(hex: "3da3358b4dc173")!)
        var rng = SplitMix(seed: 7)
        let data = (0..<(6 * 1024 * 1024)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var start = 0
        var lengths: [Int] = []
        try data.withUnsafeBytes { raw in
            while start < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[start...])
                let n = chunker.cut(in: rest) ?? rest.count
                lengths.append(n)
                start += n
            }
            #expect(lengths.reduce(0, +) == raw.count)
            for n in lengths.dropLast() { #expect(n >= Chunker.minSize && n <= Chunker.maxSize) }
            // A cut is where the window fingerprint has its low 20 bits zero: recompute naively.
            let cut = try #require(lengths.first)
            if cut < Chunker.maxSize {
                var digest = Polynomial(0)
                for b in raw[(cut - 64)..<cut] {
                    digest = Polynomial(digest.value << 8 | UInt64(b)).mod(chunker.polynomial)
                }
                #expect(digest.value & ((1 << 20) - 1) == 0)
            }
        }
        // The streaming chunker, fed in odd-sized pieces, finds the same boundaries.
        var streamed: [Int] = []
        var state = ChunkerState(chunker)
        var chunkLength = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let piece = UnsafeRawBufferPointer(rebasing: raw[offset..<min(raw.count, offset + 100_003)])
                var used = 0
                while used < piece.count {
                    let rest = UnsafeRawBufferPointer(rebasing: piece[used...])
                    if let cut = state.scan(rest) {
                        streamed.append(chunkLength + cut)
                        chunkLength = 0
                        used += cut
                        state.reset()
                    } else {
                        chunkLength += rest.count
                        used = piece.count
                    }
                }
                offset += piece.count
            }
        }
        if chunkLength > 0 { streamed.append(chunkLength) }
        #expect(streamed == lengths)
        // The buffer scanner, fed growing prefixes of each chunk, finds the same boundaries too.
        var scanned: [Int] = []
        data.withUnsafeBytes { raw in
            var chunkStart = 0
            var scanner = ChunkScanner(chunker)
            while chunkStart < raw.count {
                var end = chunkStart
                var done = 0
                var cut: Int?
                while cut == nil && end < raw.count {
                    end = min(raw.count, end + 77_777)
                    let chunk = UnsafeRawBufferPointer(rebasing: raw[chunkStart..<end])
                    cut = scanner.scan(chunk, from: done)
                    done = chunk.count
                }
                let n = cut ?? (end - chunkStart)
                scanned.append(n)
                chunkStart += n
                scanner.reset()
            }
        }
        #expect(scanned == lengths)
        // Same data shifted by an insert re-synchronises: later boundaries are the same.
        let shifted = [UInt8](repeating: 9, count: 1000) + data
        var shiftedLengths: [Int] = []
        start = 0
        shifted.withUnsafeBytes { raw in
            while start < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[start...])
                let n = chunker.cut(in: rest) ?? rest.count
                shiftedLengths.append(n)
                start += n
            }
        }
        #expect(Array(shiftedLengths.suffix(2)) == Array(lengths.suffix(2)))
    }

    /// The buffer scanner's four-lane steady state cuts where the one-byte-at-a-time reference does, with
    /// cuts falling in every lane, a stretch that runs to the maximum size, and prefixes of any length.
    @Test func laneScannerCutsWhereTheReferenceDoes() throws {
        let chunker = try Chunker(polynomial: Polynomial(hex: "3da3358b4dc173")!)
        var rng = SplitMix(seed: 42)
        var data = [UInt8]()
        data.reserveCapacity(26 << 20)
        for _ in 0..<(14 << 17) { withUnsafeBytes(of: rng.next()) { data.append(contentsOf: $0) } }
        // A periodic stretch: few distinct windows, so it likely runs to the 8 MiB maximum.
        let period = (0..<251).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        while data.count < 24 << 20 { data.append(contentsOf: period) }
        for _ in 0..<(2 << 17) { withUnsafeBytes(of: rng.next()) { data.append(contentsOf: $0) } }
        // The reference: restic's ring-buffer chunker, whole buffer at a time.
        var reference: [Int] = []
        var state = ChunkerState(chunker)
        data.withUnsafeBytes { raw in
            var start = 0
            while start < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[start...])
                let n = state.scan(rest) ?? rest.count
                reference.append(n)
                start += n
                state.reset()
            }
        }
        #expect(reference.count > 8)
        #expect(reference.contains(Chunker.maxSize), "\(reference)")
        // Cuts land in lanes 1-3 of a block too, not only in lane 0.
        let block = ChunkScanner.lanes * ChunkScanner.laneLength
        let lanes = Set(reference.dropLast().map { ($0 - Chunker.minSize) % block / ChunkScanner.laneLength })
        #expect(lanes == Set(0..<ChunkScanner.lanes), "\(lanes)")
        // The scanner, over whole chunks and over growing prefixes of odd sizes.
        for step in [Int.max, 1_000_003, 65_537] {
            var scanned: [Int] = []
            var scanner = ChunkScanner(chunker)
            data.withUnsafeBytes { raw in
                var chunkStart = 0
                while chunkStart < raw.count {
                    var end = chunkStart
                    var cut: Int?
                    while cut == nil && end < raw.count {
                        let done = end - chunkStart
                        end = step == Int.max ? raw.count : min(raw.count, end + step)
                        cut = scanner.scan(UnsafeRawBufferPointer(rebasing: raw[chunkStart..<end]), from: done)
                    }
                    let n = cut ?? (end - chunkStart)
                    scanned.append(n)
                    chunkStart += n
                    scanner.reset()
                }
            }
            #expect(scanned == reference, "step \(step)")
        }
    }
}
