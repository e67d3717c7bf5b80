import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// `lifeboat server` as child processes against the sandbox: schedules made with the CLI fire, two replicas never
/// both process (leader election on a Lease), and a killed leader is replaced.
@Suite struct CLIServerTests {
    static let schedules = GroupVersionResource(group: "velero.io", version: "v1", resource: "schedules")
    static let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
    static let leases = GroupVersionResource(group: "coordination.k8s.io", version: "v1", resource: "leases")

    /// The Backups of schedule `name`, by name (their names end in the tick's UTC timestamp).
    static func backups(of name: String, _ client: KubeClient) async throws -> [KubeObject] {
        try await client.list(backups, namespace: "velero").items
            .filter { $0.labels["velero.io/schedule-name"] == name }
            .sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    /// Runs `lifeboat server` (one replica) while `body` runs, once it leads; stops it after, also on failure.
    static func withServer(_ env: CLIEnvironment, _ body: () async throws -> Void) async throws {
        let server = try LifeboatProcess.start(
            env.binary,
            // Replicas run side by side on this machine: each serves its metrics on a port of its own.
            ["server", "--metrics-address", "127.0.0.1:0"],
            outputPath: env.directory.appendingPathComponent("server.log").path,
            environment: ["KUBECONFIG": env.directory.appendingPathComponent("kubeconfig").path]
        )
        do {
            try await waitUntil("the server leads") {
                let lease = try? await env.client.get(leases, namespace: "velero", name: "lifeboat-server")
                return lease?["spec"]?["holderIdentity"]?.stringValue?.isEmpty == false
            }
            try await body()
        } catch {
            try? await server.kill()
            throw error
        }
        try await server.kill()
    }

    /// The tick of a scheduled backup, from its name's `yyyyMMddHHmmss` suffix.
    static func tick(_ backup: KubeObject) -> Date? {
        guard let name = backup.name, name.count > 14 else { return nil }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMddHHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.date(from: String(name.suffix(14)))
    }

    @Test func twoServersShareTheScheduleAndAKilledLeaderIsReplaced() async throws {
        try await CLIEnvironment.with { env in
            try await env.createDefaultLocation()
            try await env.client.createNamespaceAndWait("app")
            for (name, extra) in [("every", [String]()), ("held", ["--paused"])] {
                let created = try await env.lifeboat(
                    ["schedule", "create", name, "--schedule", "@every 2s", "--include-namespaces", "app"] + extra
                )
                try #require(created.status == 0, "\(created.output)")
                #expect(created.output.contains("Schedule \"\(name)\" created successfully."))
            }
            // A leader that cannot renew in time exits (as Velero's does): the deadline leaves room for a machine
            // busy with other tests, so that the replacement is the only change of leader.
            let arguments = [
                "server", "--leader-elect-lease-duration", "15s", "--leader-elect-renew-deadline", "10s",
                "--leader-elect-retry-period", "500ms", "--log-level", "debug", "--metrics-address", "127.0.0.1:0",
            ]
            let environment = ["KUBECONFIG": env.directory.appendingPathComponent("kubeconfig").path]
            let first = try LifeboatProcess.start(
                env.binary,
                arguments,
                outputPath: env.directory.appendingPathComponent("server-1.log").path,
                environment: environment
            )
            let second = try LifeboatProcess.start(
                env.binary,
                arguments,
                outputPath: env.directory.appendingPathComponent("server-2.log").path,
                environment: environment
            )
            let servers = [first, second]
            do {
                try await waitUntil("3 backups of schedule every Completed", timeout: .seconds(90)) {
                    try await Self.backups(of: "every", env.client).filter {
                        $0["status"]?["phase"]?.stringValue == "Completed"
                    }.count >= 3
                }
                let lease = try await env.client.get(Self.leases, namespace: "velero", name: "lifeboat-server")
                let holder = try #require(lease["spec"]?["holderIdentity"]?.stringValue)
                let leader = try #require(servers.first { holder.hasSuffix("-\($0.process.processIdentifier)") })
                let other = try #require(
                    servers.first { $0.process.processIdentifier != leader.process.processIdentifier }
                )
                try await leader.kill()
                let before = try await Self.backups(of: "every", env.client).count
                try await waitUntil("the other server leads") {
                    let lease = try await env.client.get(Self.leases, namespace: "velero", name: "lifeboat-server")
                    return lease["spec"]?["holderIdentity"]?.stringValue?.hasSuffix(
                        "-\(other.process.processIdentifier)"
                    ) == true
                }
                do {
                    try await waitUntil("2 more backups of schedule every Completed", timeout: .seconds(90)) {
                        try await Self.backups(of: "every", env.client).filter {
                            $0["status"]?["phase"]?.stringValue == "Completed"
                        }.count >= before + 2
                    }
                } catch {
                    let states = try await Self.backups(of: "every", env.client).map { backup in
                        let status = backup["status"]
                        let reason = status?["failureReason"]?.stringValue ?? ""
                        return "\(backup.name ?? "") \(status?["phase"]?.stringValue ?? "-") \(reason)"
                    }
                    let tail = other.output.split(separator: "\n").suffix(30).joined(separator: "\n")
                    Issue.record(Comment(rawValue: "backups: \(states)\nthe other server's log:\n\(tail)"))
                    throw error
                }
                // Paused first, and every backup ended, so killing the last server leaves no tick it just created
                // behind as New (a later server would pick that up; this test has none).
                let pause = try await env.lifeboat("schedule", "pause", "every")
                #expect(pause.status == 0, "\(pause.output)")
                try await waitUntil("every backup of schedule every ended", timeout: .seconds(60)) {
                    try await Self.backups(of: "every", env.client).allSatisfy {
                        ["Completed", "Failed"].contains($0["status"]?["phase"]?.stringValue ?? "")
                    }
                }
                try await other.kill()
            } catch {
                for server in servers { try? await server.kill() }
                throw error
            }
            let all = try await Self.backups(of: "every", env.client)
            // One replica at a time: no two backups for one tick of `@every 2s`.
            let ticks = all.compactMap(Self.tick)
            #expect(ticks.count == all.count)
            for (earlier, later) in zip(ticks, ticks.dropFirst()) {
                #expect(later.timeIntervalSince(earlier) >= 2, "backups \(ticks) of one tick")
            }
            for backup in all {
                let phase = backup["status"]?["phase"]?.stringValue ?? ""
                // A backup the killed leader was running ends Failed when the other takes over; none stays behind.
                #expect(phase == "Completed" || phase == "Failed", "\(backup.name ?? "") is \(phase)")
                let metadata = env.bucket.appendingPathComponent("backups/\(backup.name ?? "")/velero-backup.json")
                #expect(FileManager.default.fileExists(atPath: metadata.path) == (phase == "Completed"))
            }
            #expect(try await Self.backups(of: "held", env.client).isEmpty)
            let get = try await env.lifeboat("schedule", "get")
            #expect(get.status == 0)
            #expect(get.output.contains("every") && get.output.contains("Enabled") && get.output.contains("@every 2s"))
        }
    }

    @Test func theServerLogsOneJSONObjectPerLineWithLogFormatJSON() async throws {
        try await CLIEnvironment.with { env in
            let server = try LifeboatProcess.start(
                env.binary,
                ["server", "--metrics-address", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug"],
                outputPath: env.directory.appendingPathComponent("server.log").path,
                environment: ["KUBECONFIG": env.directory.appendingPathComponent("kubeconfig").path]
            )
            do {
                try await waitUntil("the server leads") {
                    let lease = try? await env.client.get(Self.leases, namespace: "velero", name: "lifeboat-server")
                    return lease?["spec"]?["holderIdentity"]?.stringValue?.isEmpty == false
                }
                // The backup controller's debug line, which the assertions below look for, comes after others.
                try await waitUntil("the server logs the backup controller at debug level") {
                    server.output.split(separator: "\n").contains {
                        $0.contains(#""level":"debug""#) && $0.contains(#""controller":"backup""#)
                    }
                }
            } catch {
                try? await server.kill()
                throw error
            }
            try await server.kill()
            let lines = server.output.split(separator: "\n")
            #expect(lines.count > 3)
            for line in lines {
                let object = try? JSONValue(parsing: Array(line.utf8))
                #expect(object?["level"]?.stringValue != nil, "\(line)")
                #expect(object?["msg"]?.stringValue?.isEmpty == false, "\(line)")
                #expect(object?["time"]?.stringValue?.hasSuffix("Z") == true, "\(line)")
            }
            #expect(lines.contains { $0.contains(#""level":"debug""#) && $0.contains(#""controller":"backup""#) })
        }
    }

    @Test func versionAsksTheRunningServerAndSaysAtOnceWhenThereIsNone() async throws {
        try await CLIEnvironment.with { env in
            let alone = try await env.lifeboat("version")
            #expect(alone.status == 0, "\(alone.output)")
            #expect(alone.output.contains("Client:\n\tVersion: "), "\(alone.output)")
            #expect(alone.output.contains("Lifeboat server: none running in namespace velero"), "\(alone.output)")
            try await Self.withServer(env) {
                let asked = try await env.lifeboat("version", "--timeout", "20s")
                #expect(asked.status == 0, "\(asked.output)")
                let client = try #require(
                    asked.output.split(separator: "\n").first { $0.hasPrefix("\tVersion: ") }
                )
                #expect(asked.output.contains("Server:\n\tKubernetes: "), "\(asked.output)")
                #expect(asked.output.hasSuffix("\(client)\n"), "the server's version, as the client's: \(asked.output)")
                // The request the CLI made was answered (and is deleted a minute later by the server).
                let requests = try await env.client.list(
                    GroupVersionResource(group: "velero.io", version: "v1", resource: "serverstatusrequests"),
                    namespace: "velero"
                ).items
                #expect(requests.count == 1 && requests.first?.name?.hasPrefix("velero-cli-") == true)
                #expect(requests.first?["status"]?["phase"]?.stringValue == "Processed")
            }
        }
    }

    @Test func withAServerRunningTheCLIHandsItBackupsRestoresAndDeletions() async throws {
        try await CLIEnvironment.with { env in
            try await env.createDefaultLocation()
            try await env.createApp()
            let alone = try await env.lifeboat("backup", "create", "b0", "--include-namespaces", "app")
            #expect(alone.status == 0, "\(alone.output)")
            #expect(alone.stdout.contains("(direct mode: no server runs in namespace velero)"), "\(alone.output)")

            try await Self.withServer(env) {
                let backup = try await env.lifeboat("backup", "create", "b1", "--include-namespaces", "app", "--wait")
                #expect(backup.status == 0, "\(backup.output)")
                #expect(backup.stdout.contains("(server mode)"), "\(backup.output)")
                #expect(backup.stdout.contains("Backup request \"b1\" submitted successfully."), "\(backup.output)")
                #expect(backup.stdout.contains("Waiting for backup to complete."), "\(backup.output)")
                #expect(backup.stdout.contains("Backup completed with status: Completed."), "\(backup.output)")
                #expect(
                    FileManager.default.fileExists(
                        atPath: env.bucket.appendingPathComponent("backups/b1/velero-backup.json").path
                    )
                )

                try await env.client.delete(.configMaps, namespace: "app", name: "settings")
                let restore = try await env.lifeboat("restore", "create", "r1", "--from-backup", "b1", "--wait")
                #expect(restore.status == 0, "\(restore.output)")
                #expect(restore.stdout.contains("Restore completed with status: Completed."), "\(restore.output)")
                let restored = try await env.client.get(.configMaps, namespace: "app", name: "settings")
                #expect(restored["data"]?["color"] == "blue")

                let deletion = try await env.lifeboat("backup", "delete", "b1", "--confirm")
                #expect(deletion.status == 0, "\(deletion.output)")
                #expect(
                    deletion.stdout.contains("Request to delete backup \"b1\" submitted successfully."),
                    "\(deletion.output)"
                )
                try await waitUntil("backup b1 deleted by the server") {
                    (try? await env.client.get(Self.backups, namespace: "velero", name: "b1")) == nil
                }
                #expect(!FileManager.default.fileExists(atPath: env.bucket.appendingPathComponent("backups/b1").path))

                let forced = try await env.lifeboat(
                    "backup",
                    "create",
                    "b2",
                    "--include-namespaces",
                    "app",
                    "--mode",
                    "direct"
                )
                #expect(forced.status == 0, "\(forced.output)")
                #expect(forced.stdout.contains("runs in this process (direct mode)"), "\(forced.output)")
                #expect(forced.stdout.contains("Backup completed with status: Completed."), "\(forced.output)")
            }
        }
    }
}
