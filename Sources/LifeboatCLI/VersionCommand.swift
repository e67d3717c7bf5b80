import ArgumentParser
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat version`: the client version and, when the cluster answers, the Kubernetes version and the version of
/// the server that processes the install namespace, asked as Velero's `velero version` asks: a ServerStatusRequest
/// (`velero-cli-…`) that the server answers, waited for up to `--timeout`. Without a running server (Lifeboat then
/// runs backups and restores in the CLI) it says so at once instead of waiting.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the client version and, when the cluster answers, the server's."
    )

    @OptionGroup var globals: GlobalOptions

    @Flag(name: .long, help: "Print only the client version.")
    var clientOnly = false

    @Option(help: "How long to wait for the server to answer its ServerStatusRequest (a Go duration).")
    var timeout = "5s"

    func validate() throws {
        guard let duration = GoDuration.parse(timeout), duration > .zero else {
            throw ValidationError("invalid argument \"\(timeout)\" for \"--timeout\" flag: not a positive duration")
        }
    }

    func run() async throws {
        print("Client:")
        print("\tVersion: \(LifeboatVersion.current)")
        guard !clientOnly else { return }
        let namespace = globals.installNamespace
        let wait = GoDuration.parse(timeout) ?? .seconds(5)
        do {
            let lines = try await globals.withClient(configuration: .init(maxAttempts: 1)) { client in
                let version = try await client.serverVersion()
                var lines = ["Server:", "\tKubernetes: \(version.gitVersion)"]
                switch await ServerPresence.detect(client: client, namespace: namespace) {
                case .none:
                    lines.append(
                        "\tLifeboat server: none running in namespace \(namespace) (backups and restores run in the CLI)"
                    )
                case .lifeboat, .velero:
                    do {
                        let status = try await Self.askServer(client: client, namespace: namespace, timeout: wait)
                        lines.append("\tVersion: \(status.serverVersion ?? "")")
                    } catch {
                        lines.append("<error getting server version: \(error)>")
                    }
                }
                return lines
            }
            for line in lines { print(line) }
        } catch {
            print("Server:")
            print("\t<error: \(error)>")
        }
    }

    /// Creates a ServerStatusRequest and waits until it is processed (Velero's `serverstatus.GetServerStatus`).
    static func askServer(
        client: KubeClient,
        namespace: String,
        timeout: Duration
    ) async throws -> ServerStatusRequest.Status {
        var request = ServerStatusRequest(metadata: ObjectMeta(namespace: namespace))
        request.metadata.generateName = "velero-cli-"
        guard let body = KubeObject(try JSONValue(encoding: request)) else {
            throw CLIError("a ServerStatusRequest did not encode as a JSON object")
        }
        let created = try await client.create(ServerStatusRequest.resource, namespace: namespace, body)
        let name = created.name ?? ""
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = try await client.get(ServerStatusRequest.resource, namespace: namespace, name: name)
            let status = try current.value.decode(as: ServerStatusRequest.self).status
            if let status, status.phase == "Processed" { return status }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw CLIError("timed out waiting for server status request to be processed")
    }
}
