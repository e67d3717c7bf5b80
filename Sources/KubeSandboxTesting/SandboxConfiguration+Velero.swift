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
