extension Sandbox {
    /// Why this machine cannot run the sandbox's containers (bubblewrap missing, or no mount namespaces), `nil`
    /// when it can: the check the kubelet makes when it starts. Without containers pods never run, so nothing
    /// writes to volumes and nothing backs them up (the quickstart says so and checks objects only).
    public static func containersUnavailableReason() -> String? {
        switch Kubelet.checkIsolation() {
        case .available: nil
        case .unavailable(let reason): reason
        }
    }
}
