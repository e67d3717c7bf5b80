import BackupEngine
package import VeleroAPI

/// Velero 1.18's backup queue (`pkg/controller/backup_queue_controller.go`), decided without touching the cluster:
///
/// - A `New` Backup (or one without a phase) becomes `Queued` at the end of the queue: `queuePosition` one more than
///   the highest of the queued ones.
/// - A `Queued` Backup becomes `ReadyToStart` (position 0, the others renumbered 1, 2, … in order) only when fewer
///   than `--concurrent-backups` Backups are `InProgress` or `ReadyToStart`, no running or earlier queued Backup
///   covers one of its namespaces, and no earlier queued Backup could start instead.
///
/// A Backup's namespaces are the cluster's namespaces its `includedNamespaces`/`excludedNamespaces` (globs, `*`)
/// select, as Velero resolves them for the queue.
package enum BackupQueueDecision {
    /// What the queue knows of one Backup.
    package struct Entry: Sendable, Equatable {
        package var name: String
        package var phase: String
        package var queuePosition: Int
        package var includedNamespaces: [String]
        package var excludedNamespaces: [String]

        package init(
            name: String,
            phase: String,
            queuePosition: Int = 0,
            includedNamespaces: [String] = [],
            excludedNamespaces: [String] = []
        ) {
            self.name = name
            self.phase = phase
            self.queuePosition = queuePosition
            self.includedNamespaces = includedNamespaces
            self.excludedNamespaces = excludedNamespaces
        }

        /// The entry of `backup`.
        package init(_ backup: Backup) {
            self.init(
                name: backup.metadata.name ?? "",
                phase: backup.status?.phase ?? "",
                queuePosition: backup.status?.queuePosition ?? 0,
                includedNamespaces: backup.spec.includedNamespaces ?? [],
                excludedNamespaces: backup.spec.excludedNamespaces ?? []
            )
        }
    }

    /// What to do with a `Queued` Backup.
    package enum Verdict: Sendable, Equatable {
        /// Leave it queued, for this reason (logged).
        case leaveQueued(String)
        /// Make it `ReadyToStart` and give the other queued Backups these positions.
        case start(renumbered: [String: Int])
    }

    /// The phases the queue counts: waiting, about to start, running.
    static let tracked: Set<String> = [BackupPhase.queued, BackupPhase.inProgress, BackupPhase.readyToStart]

    /// The position a `New` Backup takes: after the last queued one.
    package static func enqueuePosition(_ backups: [Entry]) -> Int {
        (backups.filter { $0.phase == BackupPhase.queued }.map(\.queuePosition).max() ?? 0) + 1
    }

    /// Decides for the queued Backup `name` among `backups` (all of the namespace's).
    package static func decide(
        _ name: String,
        backups: [Entry],
        clusterNamespaces: [String],
        concurrentBackups: Int
    ) -> Verdict {
        let tracked = backups.filter { Self.tracked.contains($0.phase) }
        guard let backup = tracked.first(where: { $0.name == name && $0.phase == BackupPhase.queued }) else {
            return .leaveQueued("\(name) is not queued")
        }
        let running = tracked.filter { $0.phase == BackupPhase.inProgress || $0.phase == BackupPhase.readyToStart }
        if running.count >= max(1, concurrentBackups) {
            return .leaveQueued(
                "\(max(1, concurrentBackups)) concurrent backups are already running, leaving \(name) queued"
            )
        }
        let earlier = tracked.filter { $0.queuePosition < backup.queuePosition }
        if let conflict = Self.conflict(backup, earlier: earlier, clusterNamespaces: clusterNamespaces) {
            return .leaveQueued("Backup \(name) has namespace conflict with \(conflict), leaving queued")
        }
        for candidate in earlier where candidate.phase == BackupPhase.queued {
            if Self.conflict(candidate, earlier: earlier, clusterNamespaces: clusterNamespaces) == nil {
                return .leaveQueued("Earlier queued backup \(candidate.name) is runnable, leaving \(name) queued")
            }
        }
        var renumbered: [String: Int] = [:]
        var position = 1
        for other in tracked.filter({ $0.phase == BackupPhase.queued && $0.name != name })
            .sorted(by: { $0.queuePosition < $1.queuePosition })
        {
            renumbered[other.name] = position
            position += 1
        }
        return .start(renumbered: renumbered)
    }

    /// The first of `earlier` (running, or queued ahead of `backup`) whose namespaces overlap `backup`'s.
    static func conflict(_ backup: Entry, earlier: [Entry], clusterNamespaces: [String]) -> String? {
        let mine = namespaces(of: backup, clusterNamespaces: clusterNamespaces)
        for other in earlier where other.name != backup.name {
            if other.phase == BackupPhase.queued && other.queuePosition >= backup.queuePosition { continue }
            if !mine.isDisjoint(with: namespaces(of: other, clusterNamespaces: clusterNamespaces)) { return other.name }
        }
        return nil
    }

    /// The cluster namespaces `backup` selects.
    package static func namespaces(of backup: Entry, clusterNamespaces: [String]) -> Set<String> {
        let filter = IncludesExcludes(includes: backup.includedNamespaces, excludes: backup.excludedNamespaces)
        return Set(clusterNamespaces.filter(filter.shouldInclude))
    }
}
