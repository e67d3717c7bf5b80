import ArgumentParser
import BackupEngine
import Kubernetes
import VeleroAPI

/// `lifeboat install --crds-only`: applies the velero.io CRDs (the rest of `install` — namespace,
/// RBAC, Deployment, node-agent DaemonSet — comes with server mode).
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install Lifeboat's (Velero's) CRDs into a cluster."
    )

    @OptionGroup var globals: GlobalOptions
    @Flag(name: .long, help: "Install only the velero.io CRDs.") var crdsOnly = false
    @Flag(name: .long, help: "Print the manifests instead of applying them.") var dryRun = false
    @Option(name: .shortAndLong, help: "Output format for --dry-run: json or yaml.") var output: OutputFormat = .yaml

    func validate() throws {
        guard crdsOnly else {
            throw ValidationError(
                "only `lifeboat install --crds-only` is available yet; server mode (Deployment, RBAC, node-agent) is not"
            )
        }
    }

    func run() async throws {
        let crds = VeleroCRDs.all
        if dryRun {
            let list: JSONValue = ["apiVersion": "v1", "kind": "List", "items": .array(crds.map(\.value))]
            print(output == .json ? list.prettyJSONString : list.yamlString())
            return
        }
        try await globals.withClient { client in
            for crd in crds {
                let name = crd.name ?? ""
                do {
                    _ = try await client.create(.customResourceDefinitions, crd)
                    print("CustomResourceDefinition/\(name): created")
                } catch let error as KubeError where error.code == .alreadyExists {
                    var desired = crd
                    let live = try await client.get(.customResourceDefinitions, name: name)
                    desired.resourceVersion = live.resourceVersion
                    _ = try await client.update(.customResourceDefinitions, desired)
                    print("CustomResourceDefinition/\(name): configured")
                }
            }
            // Wait until every CRD is Established so commands right after this one work.
            for crd in crds {
                try await Self.waitEstablished(client, name: crd.name ?? "")
            }
        }
        print("Lifeboat (Velero) CRDs are installed.")
    }

    static func waitEstablished(_ client: KubeClient, name: String) async throws {
        for _ in 0..<60 {
            let live = try await client.get(.customResourceDefinitions, name: name)
            let established = (live["status"]?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
            }
            if established { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw CLIError("CustomResourceDefinition \(name) did not become Established within 30s")
    }
}
