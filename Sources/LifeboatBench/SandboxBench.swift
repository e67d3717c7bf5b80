import ArgumentParser
import AsyncHTTPClient
import Foundation
import KubeSandbox
import NIOCore
import NIOHTTP1
import NIOSSL

/// `lifeboat-bench sandbox`: concurrent creates/s, paginated LIST objects/s and peak RSS per 100,000
/// objects, over HTTPS against an in-process sandbox (same shape as the kube-apiserver baseline in
/// reference/k8s-golden/README.md: ~1 KiB ConfigMaps, 8 workers, limit=500).
struct SandboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sandbox", abstract: "sandbox benchmark.")

    @Option(help: "ConfigMaps created concurrently (creates/s).")
    var creates: Int = 5_000

    @Option(help: "Parallel create workers.")
    var workers: Int = 8

    @Option(help: "ConfigMaps listed with limit=500 (objects/s); created in bulk first.")
    var listObjects: Int = 50_000

    @Option(help: "Objects held for the memory figure (peak RSS per 100,000 objects).")
    var memoryObjects: Int = 100_000

    @Option(help: "Data directory (measures the fsync'd log); default in memory.")
    var dataDir: String?

    func run() async throws {
        let sandbox = try await Sandbox.start(
            SandboxConfiguration(
                port: 0,
                dataDirectory: dataDir.map { URL(fileURLWithPath: $0) },
                nodes: 1,
                customResources: .velero
            )
        )
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(sandbox.caCertificatePEM.utf8), format: .pem)
        ])
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(workers, 8)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let base = sandbox.serverURL
        let token = sandbox.token
        let rssBefore = ProcessMemory.current().rss
        do {
            try await Self.send(client, "POST", "\(base)/api/v1/namespaces", token, #"{"metadata":{"name":"bench"}}"#)
            let payload = String(repeating: "x", count: 900)

            // 1. concurrent creates
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var index = worker
                        while index < creates {
                            try await Self.send(
                                client,
                                "POST",
                                "\(base)/api/v1/namespaces/bench/configmaps",
                                token,
                                #"{"metadata":{"name":"c-\#(index)","labels":{"bench":"create"}},"data":{"payload":"\#(payload)"}}"#
                            )
                            index += workers
                        }
                    }
                }
                try await group.waitForAll()
            }
            let createSeconds = (ContinuousClock.now - started).inSeconds
            print(
                String(
                    format: "create: %d configmaps, %d workers, %.2fs -> %.0f objects/s",
                    creates,
                    workers,
                    createSeconds,
                    Double(creates) / createSeconds
                )
            )

            // 2. fill to listObjects, then paginated lists
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var index = creates + worker
                        while index < listObjects {
                            try await Self.send(
                                client,
                                "POST",
                                "\(base)/api/v1/namespaces/bench/configmaps",
                                token,
                                #"{"metadata":{"name":"c-\#(index)"},"data":{"payload":"\#(payload)"}}"#
                            )
                            index += workers
                        }
                    }
                }
                try await group.waitForAll()
            }
            var rates: [Double] = []
            for run in 1...3 {
                let listStart = ContinuousClock.now
                var count = 0
                var bytes = 0
                var pages = 0
                var token2: String?
                repeat {
                    var url = "\(base)/api/v1/namespaces/bench/configmaps?limit=500"
                    if let next = token2 { url += "&continue=\(next)" }
                    let body = try await Self.send(client, "GET", url, token, nil)
                    bytes += body.count
                    pages += 1
                    let json = try JSONSerialization.jsonObject(with: body) as? [String: Any]
                    count += (json?["items"] as? [Any])?.count ?? 0
                    token2 = (json?["metadata"] as? [String: Any])?["continue"] as? String
                } while token2 != nil
                let seconds = (ContinuousClock.now - listStart).inSeconds
                rates.append(Double(count) / seconds)
                print(
                    String(
                        format: "list (limit=500) run %d: %d objects in %d pages, %.1f MB, %.3fs -> %.0f objects/s",
                        run,
                        count,
                        pages,
                        Double(bytes) / 1e6,
                        seconds,
                        Double(count) / seconds
                    )
                )
            }
            print(String(format: "list (limit=500) median: %.0f objects/s", rates.sorted()[1]))

            // 3. memory per 100,000 objects
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var index = listObjects + worker
                        while index < memoryObjects {
                            try await Self.send(
                                client,
                                "POST",
                                "\(base)/api/v1/namespaces/bench/configmaps",
                                token,
                                #"{"metadata":{"name":"c-\#(index)"},"data":{"payload":"\#(payload)"}}"#
                            )
                            index += workers
                        }
                    }
                }
                try await group.waitForAll()
            }
            let memory = ProcessMemory.current()
            let held = max(memoryObjects, listObjects)
            print(
                String(
                    format:
                        "memory: %d objects held, VmHWM %.0f MB, VmRSS %.0f MB (before: %.0f MB) -> %.0f MB per 100,000 objects",
                    held,
                    Double(memory.hwm) / 1024,
                    Double(memory.rss) / 1024,
                    Double(rssBefore) / 1024,
                    Double(memory.hwm - rssBefore) / 1024 / Double(held) * 100_000
                )
            )
        } catch {
            try? await client.shutdown()
            try? await sandbox.stop()
            throw error
        }
        try await client.shutdown()
        try await sandbox.stop()
    }

    @discardableResult
    private static func send(
        _ client: HTTPClient,
        _ method: String,
        _ url: String,
        _ token: String,
        _ body: String?
    ) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.method = .RAW(value: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 1 << 30)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw ValidationError(
                "\(method) \(url): HTTP \(response.status.code) \(String(buffer: buffer).prefix(300))"
            )
        }
        return Data(buffer.readableBytesView)
    }

}
