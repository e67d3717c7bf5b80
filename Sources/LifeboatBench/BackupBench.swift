import ArgumentParser
import BackupEngine
import Foundation
import KubeSandbox
import Kubernetes
import LocalServers
import Logging
import ObjectStorage
import VeleroAPI

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench backup`: backs up ConfigMaps, Secrets and Deployments from an in-process sandbox to a
/// local folder and to moto_server, against the floor measured in the same run: a bare paginated LIST
/// (limit 500) of the same objects through the same client.
///
/// Peak RSS is VmHWM from /proc/self/status, reset before each phase (`/proc/self/clear_refs` ← 5); it
/// includes the in-process sandbox, so the delta over the RSS before the phase is printed too.
struct BackupBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Backup benchmark: folder and S3 (moto_server) against the LIST floor."
    )

    @Option(help: "ConfigMaps to create (~1 KiB of data each).")
    var configmaps: Int = 50_000

    @Option(help: "Secrets to create.")
    var secrets: Int = 5_000

    @Option(help: "Deployments to create.")
    var deployments: Int = 2_000

    @Option(help: "Namespaces the objects are spread over.")
    var namespaces: Int = 10

    @Option(help: "Concurrent creates through the client.")
    var concurrency: Int = 16

    @Option(help: "Page size of LIST requests (floor and backup).")
    var pageSize: Int = 500

    @Flag(help: "Skip the moto_server (S3) run.")
    var skipS3 = false

    func run() async throws {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let sandbox = try await Sandbox.start(SandboxConfiguration(port: 0, nodes: 1, customResources: .velero))
        do {
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            let clientConfiguration = KubeClient.Configuration(qps: 0, maxConnections: max(32, concurrency * 2))
            try await withKubeClient(config: config, configuration: clientConfiguration, logger: logger) { client in
                try await measure(client: client, logger: logger)
            }
        } catch {
            try? await sandbox.stop()
            throw error
        }
        try await sandbox.stop()
    }

    private func measure(client: KubeClient, logger: Logger) async throws {
        let total = configmaps + secrets + deployments
        let populateStart = ContinuousClock.now
        try await BenchWorkload(
            configmaps: configmaps,
            secrets: secrets,
            deployments: deployments,
            namespaces: namespaces
        ).populate(client, concurrency: concurrency, label: "backup")
        let populateSeconds = (ContinuousClock.now - populateStart).inSeconds
        print(
            String(
                format: "populate: %d objects in %.1fs (%.0f creates/s, concurrency %d)",
                total,
                populateSeconds,
                Double(total) / populateSeconds,
                concurrency
            )
        )

        // (a) The floor: a bare paginated LIST of the same objects.
        let floor = try await phase("list floor") { () -> Int in
            var count = 0
            for gvr in [GroupVersionResource.configMaps, .secrets, BenchWorkload.deploymentsGVR] {
                for try await page in client.listPages(gvr, options: ListOptions(limit: pageSize)) {
                    count += page.items.count
                }
            }
            return count
        }
        print(floor.line(objects: floor.value, floor: nil))

        // (b) A backup to a local folder.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = BackupStore(store: try FilesystemObjectStore(root: root.path), prefix: "bench")
        let local = try await phase("backup to folder") {
            try await backUp(client: client, store: folder, name: "bench-folder", logger: logger)
        }
        print(local.line(objects: local.value, floor: floor.seconds))
        print(String(format: "  tarball: %.1f MB", Double(Self.folderSize(root)) / 1e6))

        // (c) A backup to moto_server.
        guard !skipS3 else { return }
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let s3 = try await moto.makeStore(bucket: "bench", logger: logger)
        let remote = try await phase("backup to moto_server") {
            try await backUp(
                client: client,
                store: BackupStore(store: s3, prefix: "bench"),
                name: "bench-s3",
                logger: logger
            )
        }
        print(remote.line(objects: remote.value, floor: floor.seconds))
    }

    private func backUp(client: KubeClient, store: BackupStore, name: String, logger: Logger) async throws -> Int {
        let runner = BackupRunner(
            client: client,
            store: store,
            configuration: .init(pageSize: pageSize, recordInCluster: false),
            logger: logger
        )
        let result = try await runner.run(Backup(metadata: ObjectMeta(name: name)))
        guard result.status?.phase == BackupPhase.completed else {
            throw ValidationError("backup \(name) ended \(result.status?.phase ?? "without a phase")")
        }
        return result.status?.progress?.itemsBackedUp ?? 0
    }

    // MARK: - population

    // MARK: - measuring

    struct Measurement<Value> {
        var name: String
        var value: Value
        var seconds: Double
        var rssBeforeKiB: Int
        var peakKiB: Int

        func line(objects: Int, floor: Double?) -> String {
            var text = String(
                format: "%@: %d objects in %.3fs -> %.0f objects/s",
                name,
                objects,
                seconds,
                Double(objects) / seconds
            )
            if let floor { text += String(format: ", %.2f x the LIST floor", seconds / floor) }
            text += String(
                format: "; peak RSS %.0f MiB (delta over the %.0f MiB before: %.0f MiB)",
                Double(peakKiB) / 1024,
                Double(rssBeforeKiB) / 1024,
                Double(peakKiB - rssBeforeKiB) / 1024
            )
            return text
        }
    }

    private func phase<Value>(_ name: String, _ body: () async throws -> Value) async throws -> Measurement<Value> {
        ProcessMemory.resetPeak()
        let before = ProcessMemory.current().rss
        let start = ContinuousClock.now
        let value = try await body()
        let seconds = (ContinuousClock.now - start).inSeconds
        return Measurement(
            name: name,
            value: value,
            seconds: seconds,
            rssBeforeKiB: before,
            peakKiB: ProcessMemory.current().hwm
        )
    }

    private static func folderSize(_ url: URL) -> Int {
        guard let files = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey]) else {
            return 0
        }
        var total = 0
        for case let file as URL in files {
            total += (try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
        }
        return total
    }
}
