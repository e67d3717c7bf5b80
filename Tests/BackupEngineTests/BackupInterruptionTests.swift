import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import NIOCore
import ObjectStorage
import ObjectStorageTesting
import Synchronization
import Testing
import VeleroAPI

@testable import BackupEngine

/// A backup cancelled in the middle of its S3 multipart upload (what Ctrl-C does through the CLI) aborts the upload
/// and leaves nothing in the bucket: no object, no claim, no open multipart upload.
struct BackupInterruptionTests {
    @Test func cancelledBackupToS3AbortsTheMultipartUploadAndLeavesNothing() async throws {
        let moto = try await MotoServer.shared()
        let bucket = "lifeboat-\(UUID().uuidString.prefix(8).lowercased())"
        let s3 = try await moto.makeStore(bucket: bucket, logger: .quiet)
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("big")
            // About 20 MB of incompressible data: the tarball is uploaded in several 5 MiB parts.
            for index in 0..<30 {
                var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "big", name: "cm-\(index)")
                let random = (0..<500_000).map { _ in UInt8.random(in: 0...255) }
                configMap["data"] = ["blob": .string(Data(random).base64EncodedString())]
                _ = try await client.create(.configMaps, configMap)
            }
            let (started, startedContinuation) = AsyncStream<Void>.makeStream()
            // Tells the test once 6 MiB of the tarball went to S3: the multipart upload is under way.
            let tapped = TappedObjectStore(base: s3, threshold: 6 << 20) { startedContinuation.yield() }
            let store = BackupStore(store: tapped, prefix: "velero")
            let runner = BackupRunner(
                client: client,
                store: store,
                configuration: .init(recordInCluster: false),
                logger: .quiet
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["big"]
            let request = Backup(metadata: ObjectMeta(name: "big"), spec: spec)
            let run = Task { try await runner.run(request) }
            var iterator = started.makeAsyncIterator()
            _ = await iterator.next()
            run.cancel()
            let result = await run.result
            switch result {
            case .success(let backup):
                Issue.record("the backup completed although cancelled mid-upload: \(backup.status?.phase ?? "")")
            case .failure(let error):
                let engineError = error as? BackupEngineError
                #expect(engineError?.code == .interrupted, "\(error)")
                #expect(engineError?.message.contains("removed its claim") == true, "\(error)")
            }
            #expect(try await s3.listAll(prefix: "").map(\.key) == [], "no object, no claim")
            #expect(
                try await s3.removeAbandonedWrites(prefix: "", before: .distantFuture) == 0,
                "no multipart upload left open"
            )
        }
    }
}

/// Forwards to `base`; calls `reached` once when the bodies put so far add up to `threshold` bytes.
struct TappedObjectStore<Base: ObjectStore>: ObjectStore {
    let base: Base
    let threshold: Int
    let reached: @Sendable () -> Void
    private let seen = Counter()

    init(base: Base, threshold: Int, reached: @escaping @Sendable () -> Void) {
        self.base = base
        self.threshold = threshold
        self.reached = reached
    }

    /// Bytes seen, and whether `reached` was called.
    final class Counter: Sendable {
        let state = Mutex((bytes: 0, told: false))
    }

    func put(_ key: String, body: some AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int?) async throws {
        try await base.put(key, body: Tapped(base: body, onBytes: count), length: length)
    }

    func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try await base.putIfAbsent(key, body: Tapped(base: body, onBytes: count), length: length)
    }

    func get(_ key: String) async throws -> ObjectBody { try await base.get(key) }
    func get(_ key: String, range: Range<Int>) async throws -> ObjectBody { try await base.get(key, range: range) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) -> ObjectListing { base.list(prefix: prefix, delimiter: delimiter) }
    func delete(_ key: String) async throws { try await base.delete(key) }
    func removeAbandonedWrites(prefix: String, before cutoff: Date) async throws -> Int {
        try await base.removeAbandonedWrites(prefix: prefix, before: cutoff)
    }

    private func count(_ bytes: Int) {
        let tell = seen.state.withLock { state -> Bool in
            state.bytes += bytes
            guard !state.told, state.bytes >= threshold else { return false }
            state.told = true
            return true
        }
        if tell { reached() }
    }
}

/// A body that reports the size of each chunk it passes on.
struct Tapped<Base: AsyncSequence<ByteBuffer, any Error> & Sendable>: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: Base
    let onBytes: @Sendable (Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let onBytes: @Sendable (Int) -> Void

        mutating func next() async throws -> ByteBuffer? {
            let chunk = try await base.next()
            if let chunk { onBytes(chunk.readableBytes) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), onBytes: onBytes) }
}
