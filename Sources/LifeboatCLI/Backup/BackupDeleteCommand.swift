import ArgumentParser
import BackupEngine
import Controllers
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat backup delete NAME… | --all | -l SELECTOR [--confirm]`: removes each backup's objects from its storage
/// location (its pod volume snapshots forgotten in their repositories), then its Backup; a run that claimed a name and
/// died is cleaned up too. One backup that cannot be deleted does not stop the others; they are reported at the end
/// and the exit status is 1.
struct BackupDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete backups from their storage location and the cluster."
    )

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var select: SelectOptions
    @Flag(name: .long, help: "Confirm deletion (do not ask).") var confirm = false
    @OptionGroup var execution: ExecutionOptions

    func validate() throws {
        try select.validate(kind: "backup")
    }

    func run() async throws {
        if !confirm, !Confirmation.ask() { return }
        if try await execution.usesServer(globals, what: "deletion") {
            try await requestDeletions()
            return
        }
        let failures: [(name: String, error: any Error)] = try await DirectMode.with(globals) { mode in
            var failures: [(name: String, error: any Error)] = []
            let names = try await select.names(of: Backup.resource, client: mode.client, namespace: mode.namespace)
            if names.isEmpty {
                print("No backups found")
                return []
            }
            for name in names {
                do {
                    let deleted = try await delete(name, mode: mode)
                    if deleted.snapshots > 0 {
                        print(
                            "Forgot \(deleted.snapshots) pod volume snapshot\(deleted.snapshots == 1 ? "" : "s") of backup "
                                + "\(name); the data they alone used is removed by repository maintenance "
                                + "(lifeboat repo prune)."
                        )
                    }
                    print("Backup \(name) deleted (\(deleted.objects) objects removed from the storage location).")
                } catch {
                    failures.append((name, error))
                }
            }
            return failures
        }
        // One backup asked for by name: its error alone.
        if select.names.count == 1, let only = failures.first { throw only.error }
        for failure in failures {
            FileHandle.standardError.write(Data("Error: backup \(failure.name): \(failure.error)\n".utf8))
        }
        if !failures.isEmpty { throw ExitCode.failure }
    }

    /// Server mode (Velero's `backup delete`): a DeleteBackupRequest per Backup, for the server to carry out.
    private func requestDeletions() async throws {
        let namespace = globals.installNamespace
        let failures: [String] = try await globals.withClient { client in
            var backups: [KubeObject] = []
            var failures: [String] = []
            let names = try await select.names(of: Backup.resource, client: client, namespace: namespace)
            if names.isEmpty { print("No backups found") }
            for name in names {
                do {
                    backups.append(try await client.get(Backup.resource, namespace: namespace, name: name))
                } catch let error as KubeError where error.code == .notFound {
                    failures.append("backups.velero.io \"\(name)\" not found")
                }
            }
            for object in backups {
                let backup = try object.value.decode(as: Backup.self)
                let request = GarbageCollectionDecision.request(for: backup)
                guard let body = KubeObject(try JSONValue(encoding: request)) else { continue }
                do {
                    _ = try await client.create(DeleteBackupRequest.resource, namespace: namespace, body)
                    print(
                        "Request to delete backup \"\(backup.name)\" submitted successfully.\nThe backup will be fully "
                            + "deleted after all associated data (disk snapshots, backup files, restores) are removed."
                    )
                } catch {
                    failures.append("error creating a DeleteBackupRequest for backup \(backup.name): \(error)")
                }
            }
            return failures
        }
        for failure in failures { FileHandle.standardError.write(Data("Error: \(failure)\n".utf8)) }
        if !failures.isEmpty { throw ExitCode.failure }
    }

    /// Deletes one backup: the leftovers of an unfinished run, or the backup in its location and its Backup; a Backup
    /// that no location holds (a failed or interrupted run) goes alone.
    private func delete(_ name: String, mode: DirectMode) async throws -> (objects: Int, snapshots: Int) {
        if let leftovers = try await unfinishedRun(name, in: mode) { return (leftovers, 0) }
        let found: (BackupStorageLocation, BackupStore, Backup)
        do {
            found = try await mode.locate(backup: name)
        } catch {
            guard (try? await mode.client.get(Backup.resource, namespace: mode.namespace, name: name)) != nil
            else { throw error }
            try await mode.client.delete(Backup.resource, namespace: mode.namespace, name: name)
            return (0, 0)
        }
        let (location, store, _) = found
        if location.isReadOnly {
            throw CLIError(
                "backup storage location \(location.metadata.name ?? "") is read-only; backup \(name) was not deleted"
            )
        }
        let volumes = try await forgetPodVolumeSnapshots(of: name, store: store, mode: mode)
        let count = try await store.deleteBackup(name)
        _ = try? await mode.client.delete(Backup.resource, namespace: mode.namespace, name: name)
        return (count, volumes)
    }

    /// Forgets the snapshots of the backup's PodVolumeBackups in their repositories and deletes the
    /// PodVolumeBackups from the cluster (``BackupDeletion``); problems are warnings on stderr (the backup is
    /// deleted anyway).
    /// - Returns: how many snapshots were forgotten.
    private func forgetPodVolumeSnapshots(of name: String, store: BackupStore, mode: DirectMode) async throws -> Int {
        let outcome = await BackupDeletion(
            client: mode.client,
            namespace: mode.namespace,
            store: store,
            backup: name,
            logger: mode.logger
        ).forgetPodVolumeSnapshots()
        for problem in outcome.problems { Self.warn(problem) }
        return outcome.forgotten
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("Warning: \(message)\n".utf8))
    }

    /// The files of a run that claimed the name but never finished (no `velero-backup.json`) and is dead, removed
    /// with its temporary files, incomplete uploads and its Backup CR; `nil` when no location has such leftovers.
    /// - Throws: when the run that holds the claim is alive (see ``BackupClaim`` for how that is decided).
    private func unfinishedRun(_ name: String, in mode: DirectMode) async throws -> Int? {
        for candidate in try await mode.locations.list() where !candidate.isReadOnly {
            let store = try await mode.locations.store(for: candidate)
            guard try await store.hasUnfinishedRun(name), let claim = try await store.claim(of: name) else { continue }
            if case .live(let owner) = claim.liveness(staleAfter: BackupClaim.staleAfter) {
                throw CLIError(
                    "backup \(name) is being written by a running backup (\(owner)); stop it (Ctrl-C) or wait for it to end, then delete it"
                )
            }
            // Temporary files first: a folder is pruned only once it is empty.
            let abandoned = try await store.removeAbandonedWrites(of: name)
            let removed = try await store.deleteBackup(name) + abandoned
            _ = try? await mode.client.delete(Backup.resource, namespace: mode.namespace, name: name)
            return removed
        }
        return nil
    }
}
