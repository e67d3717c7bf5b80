import ArgumentParser
import Foundation
import KubeSandbox
import Kubernetes
import Logging

/// `lifeboat-bench client`: the Kubernetes client against an in-process sandbox.
///
/// Creates `--objects` ConfigMaps of ~1 KiB with `--concurrency` workers, lists them at `--page-size`, and
/// measures the JSON parser and serializer on the listed pages. Prints creates/s, objects listed/s,
/// JSON MB/s and the peak RSS (VmHWM).
struct ClientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "client", abstract: "Kubernetes client benchmark.")

    @Option(help: "ConfigMaps to create.") var objects = 20_000
    @Option(help: "Concurrent creators.") var concurrency = 16
    @Option(help: "List page size.") var pageSize = 500

    func run() async throws {
        let logger = Logger(label: "lifeboat-bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let objects = self.objects
        let concurrency = self.concurrency
        let pageSize = self.pageSize
        try await withSandbox(SandboxConfiguration(watchHistory: 1000, customResources: .velero)) { sandbox in
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            // the benchmark measures throughput, so the client-side rate limit is off
            let configuration = KubeClient.Configuration(qps: 0, maxConnections: concurrency)
            try await withKubeClient(config: config, configuration: configuration, logger: logger) { client in
                _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "bench"))
                let payload = String(repeating: "x", count: 1000)
                let clock = ContinuousClock()
                let createStart = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<concurrency {
                        group.addTask {
                            for i in stride(from: worker, to: objects, by: concurrency) {
                                var cm = KubeObject(
                                    apiVersion: "v1",
                                    kind: "ConfigMap",
                                    namespace: "bench",
                                    name: "cm-\(i)"
                                )
                                cm["data"] = ["payload": .string(payload)]
                                _ = try await client.create(.configMaps, cm)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let createSeconds = (clock.now - createStart).inSeconds

                var listed = 0
                var pages: [[UInt8]] = []
                let listStart = clock.now
                for try await page in client.listPages(
                    .configMaps,
                    namespace: "bench",
                    options: ListOptions(limit: pageSize)
                ) {
                    listed += page.items.count
                    if pages.count < 5 {
                        var value = JSONValue.object(["kind": "ConfigMapList", "apiVersion": "v1"])
                        value["items"] = .array(page.items.map(\.value))
                        pages.append(value.encoded())
                    }
                }
                let listSeconds = (clock.now - listStart).inSeconds

                // JSON: parse and serialize the captured pages repeatedly
                let bytes = pages.reduce(0) { $0 + $1.count }
                var parsed: [JSONValue] = []
                let parseStart = clock.now
                for _ in 0..<10 { parsed = try pages.map { try JSONValue(parsing: $0) } }
                let parseSeconds = (clock.now - parseStart).inSeconds
                var written = 0
                let writeStart = clock.now
                for _ in 0..<10 { written = parsed.reduce(0) { $0 + $1.encoded().count } }
                let writeSeconds = (clock.now - writeStart).inSeconds

                print("client benchmark (sandbox in-process, \(objects) ConfigMaps of ~1 KiB)")
                print(
                    String(
                        format: "create: %d objects, concurrency %d, %.2fs -> %.0f creates/s",
                        objects,
                        concurrency,
                        createSeconds,
                        Double(objects) / createSeconds
                    )
                )
                print(
                    String(
                        format: "list (limit=%d): %d objects in %.2fs -> %.0f objects/s",
                        pageSize,
                        listed,
                        listSeconds,
                        Double(listed) / listSeconds
                    )
                )
                print(
                    String(
                        format: "JSON parse: %.1f MB/s, serialize: %.1f MB/s (%d bytes x 10)",
                        Double(bytes * 10) / parseSeconds / 1e6,
                        Double(written * 10) / writeSeconds / 1e6,
                        bytes
                    )
                )
                print("peak RSS (VmHWM): \(Self.peakRSS())")
            }
        }
    }

    static func peakRSS() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "unknown" }
        return status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }
}
