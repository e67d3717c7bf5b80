import Foundation
import Logging
import NIOCore
import ObjectStorage
import ObjectStorageTesting
import Testing

struct FilesystemObjectStoreTests {
    @Test(arguments: ["../escape", "a/../../escape", "/etc/passwd", "a//b", "", "a/./b", "nul\u{0}", "x/", ".."])
    func unsafeKeysAreRejectedAndNothingIsWritten(_ key: String) async throws {
        try await withTemporaryFolder { parent in
            // The store's root is a sub-folder, so anything escaping it would show up in `parent`.
            let folder = parent + "/root"
            let store = try FilesystemObjectStore(root: folder)
            do {
                try await store.putData(key, bytes: [1, 2, 3])
                Issue.record("key \(key.debugDescription) was accepted")
            } catch let error as ObjectStoreError {
                #expect(error.code == .invalidKey)
                #expect(error.message.contains("invalid object key"))
            }
            await #expect(throws: ObjectStoreError.self) { try await store.delete(key) }
            await #expect(throws: ObjectStoreError.self) { try await store.head(key) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["root"])
        }
    }

    @Test func errorNamesTheKey() async throws {
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder)
            do {
                try await store.putData("backups/../x", bytes: [1])
                Issue.record("accepted")
            } catch let error as ObjectStoreError {
                #expect(error.description.contains("\"backups/../x\""))
            }
        }
    }

    @Test func relativeRootIsRejected() {
        #expect(throws: ObjectStoreError.self) { try FilesystemObjectStore(root: "relative/folder") }
    }

    @Test func rootThatIsAFileIsRejected() async throws {
        try await withTemporaryFolder { folder in
            let file = folder + "/file"
            _ = FileManager.default.createFile(atPath: file, contents: Data([1]))
            #expect(throws: ObjectStoreError.self) { try FilesystemObjectStore(root: file) }
        }
    }

    @Test func objectsAreFilesAtTheirKeyPath() async throws {
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder)
            try await store.putData("backups/b1/velero-backup.json", bytes: Array("{}".utf8))
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/backups/b1/velero-backup.json"))
            #expect(Array(data) == Array("{}".utf8))
        }
    }

    @Test func leftoverTemporaryFilesAreNotListed() async throws {
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder)
            try await store.putData("a/real", bytes: [1])
            _ = FileManager.default.createFile(atPath: folder + "/a/.lifeboat-tmp-crashed", contents: Data([9]))
            #expect(try await store.listAll(prefix: "").map(\.key) == ["a/real"])
            await #expect(throws: ObjectStoreError.self) { try await store.putData("a/.lifeboat-tmp-x", bytes: [1]) }
        }
    }

    /// Leftovers of killed writers are removed under the prefix only, before the cutoff only, objects never;
    /// through a prefixed view the prefix is the view's.
    @Test func abandonedWritesAreRemovedUnderThePrefixBeforeTheCutoff() async throws {
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder)
            for key in ["repo/data/00/p1", "repo/index/i1", "other/o1"] { try await store.putData(key, bytes: [1]) }
            let old = ["repo/data/00/.lifeboat-tmp-a", "repo/.lifeboat-tmp-b", "other/.lifeboat-tmp-c"]
            for path in old { _ = FileManager.default.createFile(atPath: folder + "/" + path, contents: Data([9])) }
            let cutoff = Date().addingTimeInterval(5)
            _ = FileManager.default.createFile(atPath: folder + "/repo/index/.lifeboat-tmp-new", contents: Data([9]))
            try FileManager.default.setAttributes(
                [.modificationDate: cutoff.addingTimeInterval(60)],
                ofItemAtPath: folder + "/repo/index/.lifeboat-tmp-new"
            )

            let prefixed = try PrefixedObjectStore(base: store, prefix: "repo")
            #expect(try await prefixed.removeAbandonedWrites(prefix: "", before: cutoff) == 2)
            let exists = { (path: String) in FileManager.default.fileExists(atPath: folder + "/" + path) }
            #expect(!exists("repo/data/00/.lifeboat-tmp-a") && !exists("repo/.lifeboat-tmp-b"))
            #expect(exists("other/.lifeboat-tmp-c"), "outside the prefix")
            #expect(exists("repo/index/.lifeboat-tmp-new"), "written after the cutoff")
            #expect(try await store.listAll(prefix: "").map(\.key) == ["other/o1", "repo/data/00/p1", "repo/index/i1"])
            // A store whose writes leave nothing behind removes nothing.
            #expect(try await MemoryObjectStore().removeAbandonedWrites(prefix: "", before: cutoff) == 0)
        }
    }

    @Test func failedBodyLeavesOldObjectAndNoTemporaryFile() async throws {
        struct Boom: Error {}
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder)
            try await store.putData("k", bytes: [1, 2, 3])
            let failing = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
                continuation.yield(ByteBuffer(bytes: [7, 7, 7, 7]))
                continuation.finish(throwing: Boom())
            }
            await #expect(throws: Boom.self) { try await store.put("k", body: failing, length: nil) }
            #expect(Array(try await store.getData("k").readableBytesView) == [1, 2, 3])
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["k"])
        }
    }

    @Test func largeObjectStreamsInChunks() async throws {
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder, configuration: .init(readChunkSize: 256 * 1024))
            let bytes = ObjectStoreConformance.pattern(1_000_000)
            try await store.putData("big", bytes: bytes)
            var chunks = 0
            var largest = 0
            for try await chunk in try await store.get("big") {
                chunks += 1
                largest = max(largest, chunk.readableBytes)
            }
            #expect(chunks == 4)
            #expect(largest == 256 * 1024)
        }
    }
}
