package import Kubernetes
package import VeleroAPI

/// What a backup knows of the PodVolumeBackups it created, as a pure state machine: the latest state of each,
/// which ended since the last look, and which pods have all their PodVolumeBackups ended (their post hooks are
/// due). The I/O around it is ``PodVolumeBackupper``'s.
package struct PodVolumeBackupTracking: Sendable {
    /// One PodVolumeBackup and what the backup knows around it.
    package struct Entry: Sendable {
        /// The latest state read from the cluster.
        package var podVolumeBackup: PodVolumeBackup
        /// `namespace/name` of the pod.
        package var pod: String
        /// The claim and PV of the volume.
        package var facts: PodVolumeFacts
        /// The wait ended before the PodVolumeBackup did (it was then canceled).
        package var timedOut = false
        /// Its end was already reported.
        var reported = false

        /// Ended in the cluster, or given up on.
        package var isSettled: Bool { podVolumeBackup.hasEnded || timedOut }
    }

    /// What changed with one step.
    package struct Changes: Sendable {
        /// PodVolumeBackups that ended (or timed out) in this step, in creation order.
        package var ended: [Entry] = []
        /// Pods whose PodVolumeBackups have all settled in this step (their post hooks are due).
        package var podsDone: [KubeObject] = []
    }

    private var order: [String] = []
    private var entries: [String: Entry] = [:]
    /// Pods waiting for their PodVolumeBackups, by `namespace/name`.
    private var waitingPods: [String: (pod: KubeObject, backups: [String])] = [:]

    package init() {}

    /// Every tracked entry, in creation order.
    package var all: [Entry] { order.compactMap { entries[$0] } }

    /// Entries not settled yet.
    package var outstanding: [Entry] { all.filter { !$0.isSettled } }

    /// Whether every PodVolumeBackup has settled and no pod waits.
    package var isSettled: Bool { outstanding.isEmpty && waitingPods.isEmpty }

    /// Starts tracking a created PodVolumeBackup (named).
    package mutating func add(_ created: PodVolumeBackup, facts: PodVolumeFacts) {
        let name = created.name
        guard entries[name] == nil else { return }
        order.append(name)
        let pod = "\(created.spec.pod.namespace ?? "")/\(created.spec.pod.name ?? "")"
        entries[name] = Entry(podVolumeBackup: created, pod: pod, facts: facts)
    }

    /// Registers a pod whose post hooks wait for `backups` (PodVolumeBackup names); returns the changes when they
    /// have all settled already.
    package mutating func waitForPod(_ pod: KubeObject, backups: [String]) -> Changes {
        let key = "\(pod.namespace ?? "")/\(pod.name ?? "")"
        waitingPods[key] = (pod, backups)
        var changes = Changes()
        collectDonePods(into: &changes)
        return changes
    }

    /// Takes in the PodVolumeBackups as listed from the cluster.
    package mutating func update(_ listed: [PodVolumeBackup]) -> Changes {
        var changes = Changes()
        for backup in listed {
            guard var entry = entries[backup.name], !entry.isSettled else { continue }
            entry.podVolumeBackup = backup
            entries[backup.name] = entry
        }
        reportEnded(into: &changes)
        collectDonePods(into: &changes)
        return changes
    }

    /// Gives up on every outstanding PodVolumeBackup (the wait timed out).
    package mutating func timeOut() -> Changes {
        var changes = Changes()
        for name in order {
            guard var entry = entries[name], !entry.isSettled else { continue }
            entry.timedOut = true
            entries[name] = entry
        }
        reportEnded(into: &changes)
        collectDonePods(into: &changes)
        return changes
    }

    private mutating func reportEnded(into changes: inout Changes) {
        for name in order {
            guard var entry = entries[name], entry.isSettled, !entry.reported else { continue }
            entry.reported = true
            entries[name] = entry
            changes.ended.append(entry)
        }
    }

    private mutating func collectDonePods(into changes: inout Changes) {
        for key in waitingPods.keys.sorted() {
            guard let waiting = waitingPods[key] else { continue }
            if waiting.backups.allSatisfy({ entries[$0]?.isSettled ?? true }) {
                waitingPods[key] = nil
                changes.podsDone.append(waiting.pod)
            }
        }
    }
}
