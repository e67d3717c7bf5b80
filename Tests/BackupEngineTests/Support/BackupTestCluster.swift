import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

/// A failure of a test helper (a precondition of the test that did not hold).
struct BackupTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Backup fixtures and runs against a sandbox (`withSandbox` of KubeSandboxTesting starts it).
enum BackupTestCluster {
    /// A KubeObject from a JSON literal.
    static func object(_ value: JSONValue) throws -> KubeObject {
        guard let object = KubeObject(value) else { throw BackupTestError("not a JSON object: \(value.jsonString)") }
        return object
    }
}

/// Backups against a sandbox, read back as a list of tarball entries.
extension BackupTestCluster {
    /// Runs one backup into `store` and returns the result and the archive read back from the store.
    static func backUp(
        _ client: KubeClient,
        spec: BackupSpec,
        name: String = "b-\(UUID().uuidString.prefix(8).lowercased())",
        store: BackupStore = BackupStore(store: MemoryObjectStore(), prefix: nil),
        configuration: BackupRunner.Configuration = BackupRunner.Configuration(recordInCluster: false)
    ) async throws -> (backup: Backup, archive: BackupArchive) {
        let runner = BackupRunner(client: client, store: store, configuration: configuration, logger: .quiet)
        let result = try await runner.run(Backup(metadata: ObjectMeta(name: name), spec: spec))
        return (result, try await BackupArchive.read(from: store, backup: name))
    }
}
