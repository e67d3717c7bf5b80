import ArgumentParser

/// `lifeboat pod-volume`: the data path of file-system backups, run by the node agent's hosting pods (hidden
/// from the top-level help, like Velero's `velero pod-volume`).
struct PodVolumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod-volume",
        abstract: "Run the pod volume backup or restore of one PodVolumeBackup or PodVolumeRestore.",
        shouldDisplay: false,
        subcommands: [PodVolumeBackupCommand.self, PodVolumeRestoreCommand.self]
    )
}
