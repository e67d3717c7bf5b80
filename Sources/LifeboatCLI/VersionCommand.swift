import ArgumentParser
import Kubernetes

/// `lifeboat version`: the client version and, when a cluster is reachable, the server's.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the client version and, when the cluster answers, the server's."
    )

    @OptionGroup var globals: GlobalOptions

    @Flag(name: .long, help: "Print only the client version.")
    var clientOnly = false

    func run() async throws {
        print("Client:")
        print("\tVersion: \(LifeboatVersion.current)")
        guard !clientOnly else { return }
        do {
            let version = try await globals.withClient(configuration: .init(maxAttempts: 1)) { client in
                try await client.serverVersion()
            }
            print("Server:")
            print("\tKubernetes: \(version.gitVersion)")
        } catch {
            print("Server:")
            print("\t<error: \(error)>")
        }
    }
}
