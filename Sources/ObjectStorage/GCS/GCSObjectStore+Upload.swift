import Logging
import NIOCore
import NIOHTTP1

extension GCSObjectStore {
    /// Query items of a new object: its name, the KMS key, and `ifGenerationMatch=0` for `putIfAbsent`.
    private func objectQuery(_ key: String, uploadType: String, ifAbsent: Bool) -> [(String, String)] {
        var query = [("uploadType", uploadType), ("name", key)]
        if let kms = configuration.kmsKeyName { query.append(("kmsKeyName", kms)) }
        if ifAbsent { query.append(("ifGenerationMatch", "0")) }
        return query
    }

    /// Uploads `body` in one media request when it fits in a chunk, as a resumable upload otherwise.
    /// - Returns: `false` only when `ifAbsent` and the object already existed.
    func upload(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        ifAbsent: Bool
    )
        async throws -> Bool
    {
        var reader = PartReader(iterator: body.makeAsyncIterator())
        let chunkSize = configuration.chunkSize
        do {
            guard let first = try await reader.next(size: chunkSize) else {
                // Empty: a resumable upload finalized at size 0 (some emulators reject an empty media body).
                try await resumable(key, first: ByteBuffer(), reader: &reader, ifAbsent: ifAbsent)
                return true
            }
            guard let second = try await reader.next(size: chunkSize) else {
                _ = try await send(
                    GCSRequest(
                        method: .POST,
                        url: uploadURL,
                        key: key,
                        query: objectQuery(key, uploadType: "media", ifAbsent: ifAbsent),
                        headers: [("content-type", "application/octet-stream")],
                        body: first
                    )
                )
                return true
            }
            try await resumable(key, first: first, second: second, reader: &reader, ifAbsent: ifAbsent)
            return true
        } catch let error as ObjectStoreError where error.code == .alreadyExists && ifAbsent {
            return false
        }
    }

    /// A resumable upload: one session, then chunks of `chunkSize` (a multiple of 256 KiB, as GCS requires),
    /// the last one naming the total size.
    private func resumable<I: AsyncIteratorProtocol>(
        _ key: String,
        first: ByteBuffer,
        second: ByteBuffer? = nil,
        reader: inout PartReader<I>,
        ifAbsent: Bool
    ) async throws where I.Element == ByteBuffer {
        let created = try await send(
            GCSRequest(
                method: .POST,
                url: uploadURL,
                key: key,
                query: objectQuery(key, uploadType: "resumable", ifAbsent: ifAbsent),
                headers: [("x-upload-content-type", "application/octet-stream")]
            )
        )
        guard let session = created.headers.first(name: "location"), !session.isEmpty else {
            throw ObjectStoreError(
                code: .http,
                message: "resumable upload of \(ObjectKey.quoted(key)) to \(bucketDescription) returned no Location"
            )
        }
        var offset = 0
        var current = first
        var pending = second
        while true {
            let total = pending == nil ? offset + current.readableBytes : nil
            try await uploadChunk(key, session: session, chunk: current, offset: offset, total: total)
            offset += current.readableBytes
            guard let next = pending else { return }
            current = next
            pending = try await reader.next(size: configuration.chunkSize)
        }
    }

    /// Sends the bytes `offset…` of a resumable session. A retried attempt first asks the session how much
    /// it holds and sends only the rest of the chunk.
    private func uploadChunk(_ key: String, session: String, chunk: ByteBuffer, offset: Int, total: Int?) async throws {
        var attempt = 0
        try await configuration.retry.run("PUT \(ObjectKey.quoted(key)) bytes \(offset)…", logger: logger) {
            attempt += 1
            var body = chunk
            var start = offset
            if attempt > 1 {
                guard let persisted = try await persistedBytes(key, session: session) else { return }  // complete
                let skip = persisted - offset
                guard skip >= 0, skip <= chunk.readableBytes else {
                    throw ObjectStoreError(
                        code: .corrupt,
                        message:
                            "resumable upload of \(ObjectKey.quoted(key)) holds \(persisted) bytes, outside the chunk at \(offset)"
                    )
                }
                body.moveReaderIndex(forwardBy: skip)
                start += skip
                if body.readableBytes == 0 && total == nil { return }
            }
            let totalText = total.map(String.init) ?? "*"
            let range =
                body.readableBytes == 0
                ? "bytes */\(totalText)" : "bytes \(start)-\(start + body.readableBytes - 1)/\(totalText)"
            let response = try await sendOnce(
                GCSRequest(
                    method: .PUT,
                    url: session,
                    key: key,
                    headers: [("content-range", range)],
                    body: body,
                    accepted: [308]
                )
            )
            if total != nil && response.status.code == 308 {
                throw ObjectStoreError(
                    code: .unavailable,
                    message: "the last chunk of \(ObjectKey.quoted(key)) did not complete the resumable upload"
                )
            }
        }
    }

    /// How many bytes a resumable session holds (`Content-Range: bytes */*`), or `nil` when it is complete.
    private func persistedBytes(_ key: String, session: String) async throws -> Int? {
        let response = try await sendOnce(
            GCSRequest(
                method: .PUT,
                url: session,
                key: key,
                headers: [("content-range", "bytes */*")],
                body: ByteBuffer(),
                accepted: [308]
            )
        )
        guard response.status.code == 308 else { return nil }
        // `Range: bytes=0-N` when N+1 bytes are held; no header when none are.
        guard let range = response.headers.first(name: "range"), let dash = range.lastIndex(of: "-"),
            let last = Int(range[range.index(after: dash)...])
        else { return 0 }
        return last + 1
    }
}
