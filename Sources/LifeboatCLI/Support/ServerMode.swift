import ArgumentParser
import Foundation
import Kubernetes
import VeleroAPI

/// Where `backup create`, `restore create` and `backup delete` do their work: `auto` (the default) hands it to the
/// server that processes the install namespace when one runs (``ServerPresence``) and does it in this process
/// otherwise (direct mode); `server` and `direct` force either. Which one is used is the first line of the output.
struct ExecutionOptions: ParsableArguments {
    enum Mode: String, ExpressibleByArgument, CaseIterable, Sendable {
        case auto, server, direct
    }

    @Option(
        name: .customLong("mode"),
        help: ArgumentHelp(
            "Where the work runs: auto (the running server of the namespace, else this process), server (create the "
                + "resource for a server) or direct (in this process)."
        )
    )
    var mode: Mode = .auto

    /// Whether the command hands its work to a server; says which mode it uses (on stdout, so that an error stays
    /// the one line on stderr).
    func usesServer(_ globals: GlobalOptions, what: String) async throws -> Bool {
        let namespace = globals.installNamespace
        let server: Bool
        switch mode {
        case .server:
            server = true
        case .direct:
            server = false
        case .auto:
            let presence = try await globals.withClient { client in
                await ServerPresence.detect(client: client, namespace: namespace)
            }
            server = presence != .none
        }
        print(
            server
                ? "The \(what) is handed to the server of namespace \(namespace) (server mode)."
                : "The \(what) runs in this process (direct mode\(mode == .auto ? ": no server runs in namespace \(namespace)" : ""))."
        )
        return server
    }
}

/// Server mode of the commands: create the resource, then with `--wait` follow it to its end as Velero's CLI does.
enum ServerModeRun {
    /// Phases that are not an end (Velero's `--wait` waits through them).
    static let running: Set<String> = [
        "", "New", "Queued", "ReadyToStart", "InProgress", "WaitingForPluginOperations",
        "WaitingForPluginOperationsPartiallyFailed",
        "Finalizing", "FinalizingPartiallyFailed",
    ]

    /// Velero's `backup create` / `restore create` against a server: creates `object` (a Backup or Restore named
    /// `name`), says so, and with `wait` follows it to its end; exit status 1 unless it ends `Completed`.
    /// - Parameter kind: `backup` or `restore`.
    static func submit(
        _ object: some Encodable & Sendable,
        resource: GroupVersionResource,
        kind: String,
        name: String,
        wait: Bool,
        globals: GlobalOptions
    ) async throws {
        let namespace = globals.installNamespace
        let title = kind.prefix(1).uppercased() + kind.dropFirst()
        let phase: String? = try await globals.withClient { client in
            try await create(object, resource: resource, kind: title, name: name, client: client, namespace: namespace)
            print("\(title) request \"\(name)\" submitted successfully.")
            guard wait else { return nil }
            return try await Self.wait(for: resource, name: name, kind: kind, client: client, namespace: namespace)
        }
        guard let phase else {
            print("Run `lifeboat \(kind) describe \(name)` or `lifeboat \(kind) logs \(name)` for more details.")
            return
        }
        print(
            "\(title) completed with status: \(phase). You may check for more information using the commands "
                + "`lifeboat \(kind) describe \(name)` and `lifeboat \(kind) logs \(name)`."
        )
        if phase != "Completed" { throw ExitCode(1) }
    }

    /// Creates `object` of `resource` in the install namespace.
    /// - Throws: Velero's message when an object of that name exists.
    static func create(
        _ object: some Encodable & Sendable,
        resource: GroupVersionResource,
        kind: String,
        name: String,
        client: KubeClient,
        namespace: String
    ) async throws {
        guard var body = KubeObject(try JSONValue(encoding: object)) else {
            throw CLIError("the \(kind) did not encode as a JSON object")
        }
        body.namespace = namespace
        body.status = nil
        do {
            _ = try await client.create(resource, namespace: namespace, body)
        } catch let error as KubeError where error.code == .alreadyExists {
            throw CLIError("\(resource.resource).\(resource.group) \"\(name)\" already exists")
        } catch let error as KubeError where error.code == .notFound {
            throw CLIError("the velero.io CRDs are not installed in the cluster (run `lifeboat install --crds-only`)")
        }
    }

    /// Waits until the object leaves the running phases, printing a dot a second (Velero's `--wait`); returns its
    /// final phase.
    static func wait(
        for resource: GroupVersionResource,
        name: String,
        kind: String,
        client: KubeClient,
        namespace: String
    ) async throws -> String {
        print(
            "Waiting for \(kind) to complete. You may safely press ctrl-c to stop waiting - your \(kind) will "
                + "continue in the background."
        )
        var ticks = 0
        while true {
            let phase: String
            do {
                phase =
                    try await client.get(resource, namespace: namespace, name: name)["status"]?["phase"]?
                    .stringValue ?? ""
            } catch let error as KubeError where error.code == .notFound {
                print("")
                throw CLIError("\(kind) \(name) was deleted while waiting for it")
            }
            if !running.contains(phase) {
                print("")
                return phase
            }
            try await Task.sleep(for: .milliseconds(250))
            ticks += 1
            if ticks % 4 == 0 {
                print(".", terminator: "")
                fflush(nil)
            }
        }
    }
}
