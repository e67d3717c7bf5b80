import Foundation
import FoundationNetworking
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

@testable import LifeboatCLI

/// `lifeboat server --metrics-address` as a child process against the sandbox: `GET /metrics` serves Velero's metrics
/// in the Prometheus text format, and they count what the server did.
@Suite struct CLIServerMetricsTests {
    /// The port the server's metrics endpoint listens on, from its log line `metrics server listening`
    /// (`address=127.0.0.1:PORT`); nil until it is logged.
    static func metricsPort(_ log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("metrics server listening") }),
            let range = line.range(of: "address=127.0.0.1:")
        else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// The body and content type of `GET http://127.0.0.1:port/metrics`.
    static func scrape(port: Int) async throws -> (text: String, contentType: String?) {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/metrics"))
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200)
        return (String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Content-Type"))
    }

    /// The value of the sample `series` (`name{label="value"}` as the exposition writes it), nil when absent.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metricsCountABackupAppliedWithTheClient() async throws {
        try await CLIEnvironment.with { env in
            try await env.createDefaultLocation()
            try await env.createApp()
            try await LifeboatProcess.withStarted(
                env.binary,
                ["server", "--leader-elect", "false", "--metrics-address", "127.0.0.1:0"],
                outputPath: env.directory.appendingPathComponent("server.log").path,
                environment: ["KUBECONFIG": env.directory.appendingPathComponent("kubeconfig").path]
            ) { server in
                do {
                    try await waitUntil("the metrics server listening") { Self.metricsPort(server.output) != nil }
                    let port = try #require(Self.metricsPort(server.output))
                    let before = try await Self.scrape(port: port)
                    #expect(before.contentType == "text/plain; version=0.0.4; charset=utf-8")
                    // Started at zero for backups made by hand, as Velero's server does.
                    #expect(Self.value(before.text, #"velero_backup_attempt_total{schedule=""}"#) == 0)

                    var backup = KubeObject(apiVersion: "velero.io/v1", kind: "Backup", namespace: "velero", name: "b1")
                    backup["spec"] = ["includedNamespaces": ["app"]]
                    _ = try await env.client.create(CLIServerTests.backups, backup)
                    try await waitUntil("backup b1 Completed") {
                        try await env.client.get(CLIServerTests.backups, namespace: "velero", name: "b1")["status"]?[
                            "phase"
                        ] == "Completed"
                    }
                    var text = ""
                    try await waitUntil("the backup's success in /metrics") {
                        text = try await Self.scrape(port: port).text
                        return Self.value(text, #"velero_backup_success_total{schedule=""}"#) == 1
                    }
                    #expect(Self.value(text, #"velero_backup_attempt_total{schedule=""}"#) == 1)
                    #expect(Self.value(text, #"velero_backup_failure_total{schedule=""}"#) == 0)
                    #expect(Self.value(text, #"velero_backup_last_status{schedule=""}"#) == 1)
                    #expect(Self.value(text, #"velero_backup_duration_seconds_count{schedule=""}"#) == 1)
                    #expect((Self.value(text, #"velero_backup_tarball_size_bytes{schedule=""}"#) ?? 0) > 0)
                    #expect(text.contains("# TYPE velero_backup_duration_seconds histogram"))
                    // SIGTERM: the controllers, the count and the metrics endpoint stop, and the server exits.
                    server.terminate()
                    #expect(try await server.wait(timeout: .seconds(30)) == 0)
                } catch {
                    let tail = server.output.split(separator: "\n").suffix(30).joined(separator: "\n")
                    Issue.record(Comment(rawValue: "the server's log:\n\(tail)"))
                    throw error
                }
            }
        }
    }

    @Test func aReplicaThatDoesNotLeadServesItsMetrics() async throws {
        try await CLIEnvironment.with { env in
            // Another replica holds the Lease for an hour: this one never leads.
            var lease = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: "velero",
                name: "lifeboat-server"
            )
            LeaderElectionRecord(
                holderIdentity: "other-replica",
                leaseDurationSeconds: 3600,
                acquireTime: Date(),
                renewTime: Date(),
                leaseTransitions: 0
            ).apply(to: &lease)
            _ = try await env.client.create(CLIServerTests.leases, lease)
            try await LifeboatProcess.withStarted(
                env.binary,
                ["server", "--metrics-address", "127.0.0.1:0"],
                outputPath: env.directory.appendingPathComponent("server.log").path,
                environment: ["KUBECONFIG": env.directory.appendingPathComponent("kubeconfig").path]
            ) { server in
                try await waitUntil("the metrics server listening") { Self.metricsPort(server.output) != nil }
                let port = try #require(Self.metricsPort(server.output))
                let text = try await Self.scrape(port: port).text
                #expect(Self.value(text, #"velero_backup_attempt_total{schedule=""}"#) == 0, "\(text)")
                let holder = try await env.client.get(
                    CLIServerTests.leases,
                    namespace: "velero",
                    name: "lifeboat-server"
                )
                #expect(holder["spec"]?["holderIdentity"] == "other-replica")
            }
        }
    }

    @Test(arguments: ["8085", "127.0.0.1", "host:port", "[::1:8085", "1.2.3.4:99999", ""])
    func aBadMetricsAddressIsRefusedNamingTheFlag(_ address: String) async throws {
        // Refused before the server connects to anything.
        let result = try await ChildProcess.run(
            try LifeboatProcess.require(),
            ["server", "--metrics-address", address],
            environment: ["KUBECONFIG": "/nonexistent"],
            inheritEnvironment: false,
            timeout: .seconds(60)
        )
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("--metrics-address \(address.debugDescription) is not an address"),
            "\(result.output)"
        )
    }

    @Test(arguments: [
        (":8085", "0.0.0.0", 8085), ("127.0.0.1:0", "127.0.0.1", 0), ("[::1]:9090", "::1", 9090),
        ("localhost:8085", "localhost", 8085),
    ])
    func metricsAddressesAreGoHostPorts(_ text: String, host: String, port: Int) {
        let address = MetricsServer.Address(parsing: text)
        #expect(address?.host == host && address?.port == port, "\(text)")
    }
}
