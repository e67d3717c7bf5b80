import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// The built `lifeboat` binary run as a child process against a sandbox, with a kubeconfig and a local-folder
/// backup storage location in a temporary folder.
///
/// `swift build --build-tests` builds every product, the `lifeboat` executable with the test bundles;
/// ``LifeboatProcess/require()`` finds it next to them.
struct CLIEnvironment {
    /// The temporary folder (kubeconfig, bucket, input files).
    let directory: URL
    /// An admin client for the sandbox.
    let client: KubeClient
    let binary: String

    /// The local folder the `default` backup storage location writes to.
    var bucket: URL { directory.appendingPathComponent("bucket") }

    /// Runs `body` with a fresh sandbox (namespace `velero`) and the environment; cleans up afterwards.
    static func with(_ body: (CLIEnvironment) async throws -> Void) async throws {
        let binary = try LifeboatProcess.require()
        try await withTemporaryDirectory(prefix: "lifeboat-cli") { directory in
            try await withSandbox { sandbox, client in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                try FileManager.default.createDirectory(
                    at: directory.appendingPathComponent("bucket"),
                    withIntermediateDirectories: true
                )
                try await client.createNamespaceAndWait("velero")
                try await body(CLIEnvironment(directory: directory, client: client, binary: binary))
            }
        }
    }

    /// Runs `lifeboat arguments…` to its end with only the environment it needs (the sandbox's kubeconfig in
    /// `KUBECONFIG`, HOME in the temporary folder).
    func lifeboat(_ arguments: String...) async throws -> ChildProcess.Result {
        try await lifeboat(arguments)
    }

    /// ``lifeboat(_:)-(String...)`` with the arguments in an array, and `input` on its standard input.
    func lifeboat(_ arguments: [String], input: String? = nil) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            binary,
            arguments,
            environment: [
                "KUBECONFIG": directory.appendingPathComponent("kubeconfig").path,
                "HOME": directory.path,
                "PATH": "/usr/bin:/bin",
            ],
            inheritEnvironment: false,
            input: input.map { Data($0.utf8) },
            timeout: .seconds(120)
        )
    }

    /// Writes `text` to `name` in the temporary folder; returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Creates the `default` backup storage location (the local folder ``bucket``) with `backup-location create`.
    func createDefaultLocation() async throws {
        let location = try await lifeboat(
            "backup-location",
            "create",
            "default",
            "--provider",
            "filesystem",
            "--bucket",
            bucket.path,
            "--default"
        )
        try #require(location.status == 0, "backup-location create: \(location.output)")
    }

    /// Creates namespace `app` with the ConfigMap `settings` (`color: blue`).
    func createApp() async throws {
        try await client.createNamespaceAndWait("app")
        var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "settings")
        configMap["data"] = ["color": "blue"]
        _ = try await client.create(.configMaps, configMap)
    }

    /// Creates the `default` backup storage location (a local folder) and namespace `app` with a ConfigMap,
    /// and backs the namespace up as `name`.
    func backUpApp(_ name: String) async throws {
        try await createDefaultLocation()
        try await createApp()
        let backup = try await lifeboat("backup", "create", name, "--include-namespaces", "app")
        try #require(backup.status == 0, "backup create: \(backup.output)")
    }
}

extension ChildProcess.Result {
    /// stdout parsed as JSON (`.null` when it is not JSON).
    var json: JSONValue { (try? JSONValue(parsing: Array(stdoutData))) ?? .null }

    /// The lines of stderr that are not empty.
    var errorLines: [Substring] { stderr.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) } }
}
