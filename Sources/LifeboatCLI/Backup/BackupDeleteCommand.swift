import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat backup delete NAME [--confirm]`: removes the backup's objects from the store and its CR.
struct BackupDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a backup from its storage location and the cluster."
    )

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The backup's name.") var name: String
    @Flag(name: .long, help: "Delete without asking.") var confirm = false

    func run() async throws {
        if !confirm {
            print("Are you sure you want to continue (Y/N)? ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                throw CLIError("backup \(name) was not deleted (answer Y, or pass --confirm)")
            }
        }
        let deleted: (objects: Int, snapshots: Int) = try await DirectMode.with(globals) { mode in
            if let leftovers = try await unfinishedRun(in: mode) { return (leftovers, 0) }
            let found: (BackupStorageLocation, BackupStore, Backup)
            do {
                found = try await mode.locate(backup: name)
            } catch {
                // A Backup CR with nothing in any location (a failed or interrupted run): the CR alone goes.
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
            let volumes = try await forgetPodVolumeSnapshots(store: store, mode: mode)
            let count = try await store.deleteBackup(name)
            _ = try? await mode.client.delete(Backup.resource, namespace: mode.namespace, name: name)
            return (count, volumes)
        }
        if deleted.snapshots > 0 {
            print(
                "Forgot \(deleted.snapshots) pod volume snapshot\(deleted.snapshots == 1 ? "" : "s") of backup \(name); "
                    + "the data they alone used is removed by repository maintenance (lifeboat repo prune)."
            )
        }
        print("Backup \(name) deleted (\(deleted.objects) objects removed from the storage location).")
    }

    /// Forgets the snapshots of the backup's PodVolumeBackups in their repositories and deletes the
    /// PodVolumeBackups from the cluster (``BackupDeletion``); problems are warnings on stderr (the backup is
    /// deleted anyway).
    /// - Returns: how many snapshots were forgotten.
    private func forgetPodVolumeSnapshots(store: BackupStore, mode: DirectMode) async throws -> Int {
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
    private func unfinishedRun(in mode: DirectMode) async throws -> Int? {
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
