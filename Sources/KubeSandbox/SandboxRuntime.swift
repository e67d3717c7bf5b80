import Foundation
import Kubernetes
import Logging

/// Everything a running sandbox needs, prepared before the server listens: data directory, certificates,
/// token, replayed store, registered CRDs, bootstrap objects and the optional seed.
struct SandboxRuntime: Sendable {
    let core: SandboxCore
    let certificates: SandboxCertificates
    let log: WriteAheadLog?
    /// A temporary volumes root to remove on shutdown (no data directory).
    let temporaryRoot: URL?

    static func prepare(_ configuration: SandboxConfiguration, logger: Logger) async throws -> SandboxRuntime {
        try configuration.validate()
        let fileManager = FileManager.default
        var temporaryRoot: URL?
        let root: URL
        if let dataDirectory = configuration.dataDirectory {
            root = dataDirectory
            do { try fileManager.createDirectory(at: root, withIntermediateDirectories: true) } catch {
                throw SandboxError(.persistence, "cannot create data directory \(root.path)", cause: error)
            }
        } else {
            root = fileManager.temporaryDirectory.appendingPathComponent("lifeboat-sandbox-\(UUID().uuidString)")
            try? fileManager.createDirectory(at: root, withIntermediateDirectories: true)
            temporaryRoot = root
        }
        let certificates = try SandboxCertificates.loadOrGenerate(
            in: configuration.dataDirectory?.appendingPathComponent("pki")
        )
        let token = try loadToken(configuration)
        var log: WriteAheadLog?
        let store: SandboxStore
        if let dataDirectory = configuration.dataDirectory {
            let url = dataDirectory.appendingPathComponent("objects.log")
            let wal = try WriteAheadLog(url: url, compactionThreshold: configuration.logCompactionBytes)
            store = SandboxStore(historyCapacity: configuration.watchHistory, log: wal)
            let started = ContinuousClock.now
            let records = try WriteAheadLog.replay(url: url, into: store, logger: logger)
            try WriteAheadLog.compact(store: store, url: url)
            try wal.reopen()
            logger.info(
                "replayed data directory",
                metadata: [
                    "records": "\(records)", "rv": "\(store.currentResourceVersion)",
                    "duration": "\(ContinuousClock.now - started)",
                ]
            )
            log = wal
        } else {
            store = SandboxStore(historyCapacity: configuration.watchHistory, log: nil)
        }
        let registry = ResourceRegistry()
        let core = SandboxCore(
            configuration: configuration,
            store: store,
            registry: registry,
            token: token,
            volumesRoot: root,
            logger: logger
        )
        let crdType = core.registry.lookup(groupVersion: "apiextensions.k8s.io/v1", plural: "customresourcedefinitions")
        if let crdType {
            let crds = store.list(
                crdType.storageKey,
                namespace: nil,
                after: nil,
                limit: nil,
                countRemaining: false,
                matches: { _, _ in true }
            )
            for (_, stored) in crds.items {
                if let crd = try? JSONValue(parsing: stored.body) { registry.install(crd: crd) }
            }
        }
        try await Bootstrap(core: core).run()
        if configuration.seed == .demo { try await DemoSeed(core: core).run() }
        return SandboxRuntime(core: core, certificates: certificates, log: log, temporaryRoot: temporaryRoot)
    }

    /// Compacts the log (after a compaction that is running ends) and removes temporary folders.
    func shutdown(logger: Logger) async {
        core.store.close()
        if let log {
            await log.waitForCompaction()
            do {
                try WriteAheadLog.compact(store: core.store, url: log.url)
            } catch {
                logger.info("log compaction on shutdown failed", metadata: ["error": "\(error)"])
            }
        }
        if let temporaryRoot { try? FileManager.default.removeItem(at: temporaryRoot) }
    }

    private static func loadToken(_ configuration: SandboxConfiguration) throws -> String {
        if let token = configuration.token { return token }
        let generated = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        guard let directory = configuration.dataDirectory else { return generated }
        let file = directory.appendingPathComponent("token")
        if let existing = try? String(contentsOf: file, encoding: .utf8) {
            let trimmed = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return trimmed }
        }
        do {
            try generated.write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        } catch {
            throw SandboxError(.persistence, "cannot write token file \(file.path)", cause: error)
        }
        return generated
    }

    /// A kubeconfig for `serverURL` with the CA and the token.
    func kubeconfig(serverURL: String) -> String {
        let ca = Data(certificates.caCertificatePEM.utf8).base64EncodedString()
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                certificate-authority-data: \(ca)
                server: \(serverURL)
              name: lifeboat-sandbox
            contexts:
            - context:
                cluster: lifeboat-sandbox
                namespace: default
                user: lifeboat-sandbox
              name: lifeboat-sandbox
            current-context: lifeboat-sandbox
            preferences: {}
            users:
            - name: lifeboat-sandbox
              user:
                token: \(core.token)

            """
    }
}
