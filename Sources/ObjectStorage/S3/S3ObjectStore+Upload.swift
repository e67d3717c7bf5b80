import Logging
import NIOCore
import NIOHTTP1

extension S3ObjectStore {
    /// Headers sent with a new object (PUT, CreateMultipartUpload): server-side encryption.
    var objectHeaders: [(String, String)] {
        var headers: [(String, String)] = []
        if let kms = configuration.kmsKeyID {
            headers.append(("x-amz-server-side-encryption", "aws:kms"))
            headers.append(("x-amz-server-side-encryption-aws-kms-key-id", kms))
        } else if let sse = configuration.serverSideEncryption {
            headers.append(("x-amz-server-side-encryption", sse))
        }
        return headers
    }

    /// Uploads `body` in one PUT when it fits in a part, as a multipart upload otherwise.
    /// - Returns: `false` only when `ifAbsent` and the object already existed.
    func upload(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        ifAbsent: Bool
    )
        async throws -> Bool
    {
        var reader = PartReader(iterator: body.makeAsyncIterator())
        let partSize = configuration.partSize
        let first = try await reader.next(size: partSize) ?? ByteBuffer()
        guard let second = try await reader.next(size: partSize) else {
            return try await putSingle(key, first, ifAbsent: ifAbsent)
        }
        return try await putMultipart(key, first: first, second: second, reader: &reader, ifAbsent: ifAbsent)
    }

    private func putSingle(_ key: String, _ buffer: ByteBuffer, ifAbsent: Bool) async throws -> Bool {
        var headers = objectHeaders
        if let algorithm = configuration.checksumAlgorithm {
            headers.append((S3Checksum.headerName(algorithm), S3Checksum.value(algorithm, of: buffer)))
        }
        if ifAbsent { headers.append(("if-none-match", "*")) }
        do {
            _ = try await send(S3Request(method: .PUT, key: key, headers: headers, body: buffer))
            return true
        } catch let error as ObjectStoreError where error.code == .alreadyExists && ifAbsent {
            return false
        }
    }

    private func putMultipart<I: AsyncIteratorProtocol>(
        _ key: String,
        first: ByteBuffer,
        second: ByteBuffer,
        reader: inout PartReader<I>,
        ifAbsent: Bool
    ) async throws -> Bool where I.Element == ByteBuffer {
        var createHeaders = objectHeaders
        if let algorithm = configuration.checksumAlgorithm {
            createHeaders.append(("x-amz-checksum-algorithm", algorithm.rawValue))
        }
        let created = try await send(
            S3Request(method: .POST, key: key, query: [("uploads", "")], headers: createHeaders)
        )
        guard let uploadID = S3XML.value("UploadId", in: created.text), !uploadID.isEmpty else {
            throw ObjectStoreError(
                code: .http,
                message:
                    "CreateMultipartUpload for \(ObjectKey.quoted(key)) in \(bucketDescription) returned no UploadId"
            )
        }
        logger.debug("multipart upload started", metadata: ["object.key": "\(key)", "s3.uploadId": "\(uploadID)"])
        do {
            var parts: [Int: UploadedPart] = [:]
            let concurrency = configuration.partConcurrency
            let partSize = configuration.partSize
            try await withThrowingTaskGroup(of: UploadedPart.self) { group in
                var queued = [first, second]
                var number = 0
                var inFlight = 0
                while true {
                    let part: ByteBuffer
                    if !queued.isEmpty {
                        part = queued.removeFirst()
                    } else if let next = try await reader.next(size: partSize) {
                        part = next
                    } else {
                        break
                    }
                    if inFlight >= concurrency, let done = try await group.next() {
                        parts[done.number] = done
                        inFlight -= 1
                    }
                    number += 1
                    let partNumber = number
                    group.addTask { try await uploadPart(key, uploadID: uploadID, number: partNumber, body: part) }
                    inFlight += 1
                }
                for try await done in group { parts[done.number] = done }
            }
            return try await completeMultipart(
                key,
                uploadID: uploadID,
                parts: parts.keys.sorted().compactMap { parts[$0] },
                ifAbsent: ifAbsent
            )
        } catch {
            logger.debug("aborting multipart upload", metadata: ["object.key": "\(key)", "error": "\(error)"])
            // Shielded from cancellation: an upload stopped by Ctrl-C is aborted too, not left billed in the bucket.
            let store = self
            await Task {
                _ = try? await store.send(S3Request(method: .DELETE, key: key, query: [("uploadId", uploadID)]))
            }.value
            throw error
        }
    }

    struct UploadedPart: Sendable {
        var number: Int
        var etag: String
        var checksum: String?
    }

    private func uploadPart(
        _ key: String,
        uploadID: String,
        number: Int,
        body: ByteBuffer
    ) async throws
        -> UploadedPart
    {
        var headers: [(String, String)] = []
        var checksum: String?
        if let algorithm = configuration.checksumAlgorithm {
            let value = S3Checksum.value(algorithm, of: body)
            checksum = value
            headers.append((S3Checksum.headerName(algorithm), value))
        }
        let response = try await send(
            S3Request(
                method: .PUT,
                key: key,
                query: [("partNumber", "\(number)"), ("uploadId", uploadID)],
                headers: headers,
                body: body
            )
        )
        guard let etag = response.headers.first(name: "etag") else {
            throw ObjectStoreError(
                code: .http,
                message: "UploadPart \(number) of \(ObjectKey.quoted(key)) returned no ETag"
            )
        }
        return UploadedPart(number: number, etag: etag, checksum: checksum)
    }

    private func completeMultipart(
        _ key: String,
        uploadID: String,
        parts: [UploadedPart],
        ifAbsent: Bool
    )
        async throws -> Bool
    {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag>"
            if let algorithm = configuration.checksumAlgorithm, let checksum = part.checksum {
                let element = S3Checksum.elementName(algorithm)
                xml += "<\(element)>\(checksum)</\(element)>"
            }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers = [("content-type", "application/xml")]
        if ifAbsent { headers.append(("if-none-match", "*")) }
        let request = S3Request(
            method: .POST,
            key: key,
            query: [("uploadId", uploadID)],
            headers: headers,
            body: ByteBuffer(string: xml)
        )
        do {
            // S3 may answer 200 with an <Error> document; that is retried like a 5xx.
            try await configuration.retry.run("complete multipart \(key)", logger: logger) {
                let response = try await send(request)
                if response.text.contains("<Error>") {
                    throw mapStatus(
                        .internalServerError,
                        headers: response.headers,
                        body: response.body,
                        request: request
                    )
                }
            }
            return true
        } catch let error as ObjectStoreError where error.code == .alreadyExists && ifAbsent {
            _ = try? await send(S3Request(method: .DELETE, key: key, query: [("uploadId", uploadID)]))
            return false
        }
    }
}

/// Cuts an async sequence of buffers into parts of a fixed size.
struct PartReader<Iterator: AsyncIteratorProtocol> where Iterator.Element == ByteBuffer {
    var iterator: Iterator
    var carry = ByteBuffer()
    var ended = false

    init(iterator: Iterator) {
        self.iterator = iterator
    }

    /// The next `size` bytes (fewer only at the end); `nil` when nothing is left.
    mutating func next(size: Int) async throws -> ByteBuffer? {
        while carry.readableBytes < size && !ended {
            if var chunk = try await iterator.next() {
                if carry.readableBytes == 0 && chunk.readableBytes <= size {
                    carry = chunk
                } else {
                    carry.writeBuffer(&chunk)
                }
            } else {
                ended = true
            }
        }
        if carry.readableBytes == 0 { return nil }
        let count = min(size, carry.readableBytes)
        guard let part = carry.readSlice(length: count) else { return nil }
        if carry.readableBytes == 0 { carry = ByteBuffer() } else { carry.discardReadBytes() }
        // Copy so the part does not pin the (possibly larger) carry storage.
        return ByteBuffer(buffer: part)
    }
}
