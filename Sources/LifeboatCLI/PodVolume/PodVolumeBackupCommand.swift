import ArgumentParser
import BackupEngine

/// `lifeboat pod-volume backup`: Velero's `velero pod-volume backup`, the data path of one PodVolumeBackup.
struct PodVolumeBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Run the pod volume backup of one PodVolumeBackup (in the node agent's hosting pod).",
        discussion: """
            Waits until the PodVolumeBackup is InProgress, backs the folder --volume-path up into the restic \
            repository of the pod's namespace in its backup storage location, records Data-Path-* Events on the \
            PodVolumeBackup, and writes the result JSON (or the error) to /dev/termination-log (exit 0 or 1). \
            Namespace: VELERO_NAMESPACE, else the in-cluster one, else --namespace; node: NODE_NAME.
            """
    )

    @OptionGroup var options: PodVolumeOptions

    @Option(name: .customLong("pod-volume-backup"), help: "The PVB name.")
    var podVolumeBackup: String?

    func run() async throws {
        try await options.run(
            what: "Failed to create pod volume backup",
            loadFlag: "pod-volume-backup",
            loadName: podVolumeBackup
        ) {
            client,
            configuration,
            logger in
            await PodVolumeBackupService(client: client, configuration: configuration, logger: logger).run()
        }
    }
}
