import KubeSandbox
import VeleroAPI

extension [SandboxConfiguration.CustomResource] {
    /// The CRDs every benchmark sandbox has: the velero.io kinds (whose main endpoint writes status too) and
    /// the CSI snapshot kinds, from VeleroAPI's one list.
    static var velero: Self {
        VeleroCRDs.definitions().map { Element($0, mainEndpointWritesStatus: true) }
            + VeleroCRDs.volumeSnapshotDefinitions.map { Element($0) }
    }
}
