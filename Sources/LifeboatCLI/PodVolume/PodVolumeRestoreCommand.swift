import ArgumentParser
import BackupEngine

/// `lifeboat pod-volume restore`: Velero's `velero pod-volume restore`, the data path of one PodVolumeRestore.
struct PodVolumeRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Run the pod volume restore of one PodVolumeRestore (in the node agent's hosting pod).",
        discussion: """
            Waits until the PodVolumeRestore is InProgress, restores its snapshot into the folder --volume-path, \
            writes the completion mark .velero/<restore uid> there, records Data-Path-* Events on the \
            PodVolumeRestore, and writes the result JSON (or the error) to /dev/termination-log (exit 0 or 1).
            """
    )

    @OptionGroup var options: PodVolumeOptions

    @Option(name: .customLong("pod-volume-restore"), help: "The PVR name.")
    var podVolumeRestore: String?

    @Option(
        name: .customLong("cache-volume-path"),
        help: "The full path of the cache volume (accepted; the restic data path keeps no cache)."
    )
    var cacheVolumePath: String?

    func run() async throws {
        try await options.run(
            what: "Failed to create pod volume restore",
            loadFlag: "pod-volume-restore",
            loadName: podVolumeRestore
        ) {
            client,
            configuration,
            logger in
            await PodVolumeRestoreService(client: client, configuration: configuration, logger: logger).run()
        }
    }
}
