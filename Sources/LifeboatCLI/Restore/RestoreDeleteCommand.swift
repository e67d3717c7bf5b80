import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat restore delete NAME… | --all | -l SELECTOR [--confirm]`: removes each restore's files from the
/// storage location of its backup (what Velero's restore finalizer does), then its Restore.
struct RestoreDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete restores (their files in the backup's storage location, then the Restore objects)."
    )

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var select: SelectOptions
    @Flag(name: .long, help: "Confirm deletion (do not ask).") var confirm = false

    func validate() throws {
        try select.validate(kind: "restore")
    }

    func run() async throws {
        if !confirm, !Confirmation.ask() { return }
        let failures: [String] = try await DirectMode.with(globals) { mode in
            var failures: [String] = []
            var restores: [Restore] = []
            for name in try await select.names(of: Restore.resource, client: mode.client, namespace: mode.namespace) {
                do {
                    let object = try await mode.client.get(Restore.resource, namespace: mode.namespace, name: name)
                    restores.append(try object.value.decode(as: Restore.self))
                } catch let error as KubeError where error.code == .notFound {
                    failures.append("restore \(name.debugDescription) not found in namespace \(mode.namespace)")
                }
            }
            if restores.isEmpty, failures.isEmpty {
                print("No restores found")
                return []
            }
            for restore in restores {
                do {
                    let files = try await deleteFiles(of: restore, mode: mode)
                    _ = try await mode.client.delete(Restore.resource, namespace: mode.namespace, name: restore.name)
                    print("Restore \"\(restore.name)\" deleted\(files).")
                } catch let error as KubeError where error.code == .notFound {
                    print("Restore \"\(restore.name)\" deleted (it was already gone).")
                } catch {
                    failures.append("restore \(restore.name.debugDescription): \(error)")
                }
            }
            return failures
        }
        for failure in failures { FileHandle.standardError.write(Data("Error: \(failure)\n".utf8)) }
        if !failures.isEmpty { throw ExitCode.failure }
    }

    /// Removes the restore's files from its backup's location; returns what to say about them. A backup no
    /// location holds leaves nothing to remove (Velero skips it too); a read-only location keeps the files.
    private func deleteFiles(of restore: Restore, mode: DirectMode) async throws -> String {
        guard let backup = restore.spec.backupName, !backup.isEmpty,
            let (location, store, _) = try? await mode.locate(backup: backup)
        else { return " (no storage location holds its backup, so it has no files to remove)" }
        let name = location.metadata.name ?? ""
        if location.isReadOnly {
            FileHandle.standardError.write(
                Data(
                    "Warning: backup storage location \(name) is read-only; the files of restore \(restore.name) stay there\n"
                        .utf8
                )
            )
            return ""
        }
        let removed = try await store.deleteRestore(restore.name)
        return " (\(removed) file\(removed == 1 ? "" : "s") removed from backup storage location \(name))"
    }
}
