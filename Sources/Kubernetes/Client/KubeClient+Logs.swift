import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension KubeClient {
    /// A container's log (`GET .../pods/{pod}/log`), as the server sends it: chunks of bytes, streamed.
    ///
    /// Nothing is sent until the sequence is iterated. With `follow` the sequence goes on while the
    /// container runs and ends when its run ends; cancelling the iterating task ends it early.
    ///
    /// ```swift
    /// for try await chunk in client.logs(namespace: "demo", pod: "web-0", follow: true) {
    ///     FileHandle.standardOutput.write(Data(chunk))
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - container: required by the server when the pod has more than one container.
    ///   - previous: the run before the current one (after a restart).
    ///   - tailLines: only the last lines.
    ///   - sinceSeconds: only entries written in the last seconds.
    ///   - timestamps: prefix each line with its RFC 3339 timestamp.
    /// - Returns: a sequence whose iteration throws ``KubeError`` with the server's Status (`.notFound` for a
    ///   missing pod, `.badRequest` for a container that is not valid, is waiting to start or has no previous
    ///   run).
    public func logs(
        namespace: String,
        pod: String,
        container: String? = nil,
        follow: Bool = false,
        previous: Bool = false,
        tailLines: Int? = nil,
        sinceSeconds: Int? = nil,
        timestamps: Bool = false
    ) -> PodLogStream {
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if follow { query.append(("follow", "true")) }
        if previous { query.append(("previous", "true")) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        if let sinceSeconds { query.append(("sinceSeconds", String(sinceSeconds))) }
        if timestamps { query.append(("timestamps", "true")) }
        let request = KubeRequest(
            method: .GET,
            path: "/api/v1/namespaces/\(KubeURL.escapePath(namespace))/pods/\(KubeURL.escapePath(pod))/log",
            query: query,
            accept: "*/*",
            verb: "get",
            what: "log of pod \"\(pod)\" in namespace \"\(namespace)\"",
            // A followed log lasts as long as the container runs.
            timeout: follow ? .seconds(86_400 * 365) : nil
        )
        return PodLogStream(client: self, request: request)
    }

    /// The whole log as text (see ``logs(namespace:pod:container:follow:previous:tailLines:sinceSeconds:timestamps:)``;
    /// with `follow`, returns when the container's run ends).
    public func logText(
        namespace: String,
        pod: String,
        container: String? = nil,
        follow: Bool = false,
        previous: Bool = false,
        tailLines: Int? = nil,
        sinceSeconds: Int? = nil,
        timestamps: Bool = false
    ) async throws -> String {
        var bytes: [UInt8] = []
        let stream = logs(
            namespace: namespace,
            pod: pod,
            container: container,
            follow: follow,
            previous: previous,
            tailLines: tailLines,
            sinceSeconds: sinceSeconds,
            timestamps: timestamps
        )
        for try await chunk in stream { bytes += chunk }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The chunks of a container log as they arrive (see ``KubeClient/logs(namespace:pod:container:follow:previous:tailLines:sinceSeconds:timestamps:)``).
public struct PodLogStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let client: KubeClient
    let request: KubeRequest

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, request: request)
    }

    /// Sends the request on the first call of ``next()``, then yields the body's chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let client: KubeClient
        let request: KubeRequest
        var body: HTTPClientResponse.Body.AsyncIterator?
        var finished = false

        init(client: KubeClient, request: KubeRequest) {
            self.client = client
            self.request = request
        }

        public mutating func next() async throws -> [UInt8]? {
            guard !finished else { return nil }
            do {
                if body == nil {
                    let response = try await client.perform(request) { response, _ in response.body }
                    body = response.makeAsyncIterator()
                }
                guard var iterator = body else { return nil }
                let chunk = try await iterator.next()
                body = iterator
                guard let chunk else {
                    finished = true
                    return nil
                }
                return Array(buffer: chunk)
            } catch let error as KubeError {
                finished = true
                throw error
            } catch is CancellationError {
                finished = true
                throw CancellationError()
            } catch {
                finished = true
                throw client.transportError(error, request: request).0
            }
        }
    }
}
