public import KubeSandbox
import VeleroAPI

extension [SandboxConfiguration.CustomResource] {
    /// The CRDs a test sandbox has unless a test says otherwise: the velero.io kinds (whose main endpoint writes
    /// status too) and the CSI snapshot kinds, from VeleroAPI's one list — what `lifeboat sandbox serve` installs.
    public static var velero: Self {
        VeleroCRDs.definitions().map { Element($0, mainEndpointWritesStatus: true) }
            + VeleroCRDs.volumeSnapshotDefinitions.map { Element($0) }
    }
}

extension SandboxConfiguration {
    /// The images test workloads use (Velero's and Lifeboat's own, nginx, busybox, redis, postgres), mapped to a
    /// program that runs until stopped (``SandboxConfiguration/waitingProgram()``): their pods reach Running
    /// with a real process; a container with a `command` that exists on the host runs that command.
    public static var testImageCommands: [String: String] {
        guard let program = try? waitingProgram() else { return [:] }
        let images = [
            "velero/velero", "velero/velero-restore-helper", SandboxConfiguration.lifeboatImage, "nginx", "busybox",
            "redis",
            "postgres",
        ]
        return Dictionary(uniqueKeysWithValues: images.map { ($0, program) })
    }
}
