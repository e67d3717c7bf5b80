public import NIOCore

/// The bytes of a stored object, as a stream of buffers.
///
/// Iterate it once. `collect(upTo:)` gathers it into one buffer for small objects.
/// An `ObjectBody` is itself a valid `put` body, so copying between stores is
/// `try await dst.put(key, body: src.get(key), length: nil)`.
public struct ObjectBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public typealias Failure = any Error

    /// The object's length in bytes when the backend knows it.
    public let length: Int?
    private let stream: AsyncThrowingStream<ByteBuffer, any Error>

    public init(length: Int?, stream: AsyncThrowingStream<ByteBuffer, any Error>) {
        self.length = length
        self.stream = stream
    }

    /// A body whose chunks are produced on demand; `produce` returns `nil` at the end.
    ///
    /// Pull-based: a chunk is only produced when the consumer asks for it, so memory stays bounded.
    public init(length: Int?, unfolding produce: @escaping @Sendable () async throws -> ByteBuffer?) {
        self.length = length
        self.stream = AsyncThrowingStream(unfolding: produce)
    }

    /// A body made of bytes already in memory.
    public init(_ buffer: ByteBuffer) {
        self.length = buffer.readableBytes
        self.stream = AsyncThrowingStream { continuation in
            if buffer.readableBytes > 0 { continuation.yield(buffer) }
            continuation.finish()
        }
    }

    /// A body made of bytes already in memory.
    public init(bytes: some Sequence<UInt8>) {
        self.init(ByteBuffer(bytes: bytes))
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}

extension ObjectBody {
    /// Gathers the whole body into one buffer.
    /// - Parameter maxBytes: the largest body accepted.
    /// - Throws: `ObjectStoreError` `.corrupt` when the body is longer than `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        if let length, length > maxBytes {
            throw ObjectStoreError(
                code: .corrupt,
                message: "object of \(length) bytes exceeds the limit of \(maxBytes) bytes"
            )
        }
        var result = ByteBuffer()
        if let length { result.reserveCapacity(length) }
        for try await var chunk in self {
            guard result.readableBytes + chunk.readableBytes <= maxBytes else {
                throw ObjectStoreError(
                    code: .corrupt,
                    message: "object exceeds the limit of \(maxBytes) bytes"
                )
            }
            result.writeBuffer(&chunk)
        }
        return result
    }
}
