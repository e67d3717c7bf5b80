import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Storage locations that cannot hold a backup, as a user meets them (issue 23): `backup-location create` probes
/// the location (write, read back, delete) and records it `Unavailable` with a warning; a backup run fails fast with
/// one line naming the location and the cause, and the failed run is recorded so that `backup get` shows it.
@Suite(.timeLimit(.minutes(5)))
struct CLILocationTests {
    static let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
    static let locations = GroupVersionResource(
        group: "velero.io",
        version: "v1",
        resource: "backupstoragelocations"
    )

    /// A loopback port nothing listens on: bound, then closed.
    static func closedLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The run of a backup against a location that cannot hold it: one line naming the location and `causes`, the
    /// Backup recorded Failed with the reason, and `backup get` listing it.
    static func expectFailedRunRecorded(
        _ cli: CLIEnvironment,
        _ run: ChildProcess.Result,
        location: String,
        causes: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        CLIFailureTests.expectFailedWithoutSubmitting(
            run,
            naming: ["backup storage location \"\(location)\""] + causes,
            sourceLocation: sourceLocation
        )
        let backup = try await cli.client.get(Self.backups, namespace: "velero", name: "b1")
        #expect(backup["status"]?["phase"] == "Failed", "\(backup)", sourceLocation: sourceLocation)
        let reason = backup["status"]?["failureReason"]?.stringValue ?? ""
        for cause in causes {
            #expect(reason.contains(cause), "\(reason)", sourceLocation: sourceLocation)
        }
        let listed = try await cli.lifeboat("backup", "get")
        #expect(listed.status == 0, "\(listed.output)", sourceLocation: sourceLocation)
        let row = listed.stdout.split(separator: "\n").first { $0.hasPrefix("b1 ") }
        #expect(row?.contains("Failed") == true, "\(listed.output)", sourceLocation: sourceLocation)
    }

    /// Creates location `good` (a local folder, not the default), so that `backup get` has one location to read.
    static func createGoodLocation(_ cli: CLIEnvironment) async throws {
        let good = try await cli.lifeboat(
            "backup-location",
            "create",
            "good",
            "--provider",
            "filesystem",
            "--bucket",
            cli.bucket.path
        )
        try #require(good.status == 0, "\(good.output)")
        #expect(!good.stderr.contains("Warning"), "\(good.output)")
    }

    /// The phase and message `backup-location create` recorded.
    static func locationStatus(_ cli: CLIEnvironment, _ name: String) async throws -> (String?, String) {
        let location = try await cli.client.get(Self.locations, namespace: "velero", name: name)
        return (location["status"]?["phase"]?.stringValue, location["status"]?["message"]?.stringValue ?? "")
    }

    @Test(arguments: ["refused", "dns"])
    func unreachableS3EndpointFailsFastNamingIt(fault: String) async throws {
        try await CLIEnvironment.with { cli in
            let endpoint =
                fault == "refused"
                ? "http://127.0.0.1:\(try Self.closedLoopbackPort())" : "http://lifeboat.invalid:9000"
            let cause = fault == "refused" ? "connection refused" : "host name lifeboat.invalid does not resolve"
            try FileManager.default.createDirectory(
                at: cli.directory.appendingPathComponent(".aws"),
                withIntermediateDirectories: true
            )
            _ = try cli.write(".aws/credentials", "[default]\naws_access_key_id = a\naws_secret_access_key = b\n")
            try await Self.createGoodLocation(cli)
            let created = try await cli.lifeboat(
                "backup-location",
                "create",
                "s3loc",
                "--provider",
                "aws",
                "--bucket",
                "lifeboat-test",
                "--config",
                "region=us-east-1,s3Url=\(endpoint),s3ForcePathStyle=true",
                "--default"
            )
            #expect(created.status == 0, "\(created.output)")
            #expect(created.stderr.contains("Warning: phase Unavailable"), "\(created.output)")
            #expect(created.stderr.contains(cause), "\(created.output)")
            let (phase, message) = try await Self.locationStatus(cli, "s3loc")
            #expect(phase == "Unavailable")
            #expect(message.contains(endpoint), "\(message)")

            let run = try await cli.lifeboat("backup", "create", "b1")
            try await Self.expectFailedRunRecorded(cli, run, location: "s3loc", causes: [endpoint, cause])
            #expect(!run.output.contains("reset"), "\(run.output)")
            #expect(!run.output.contains("retrying"), "not retried: \(run.output)")
            let text = run.stderr
            #expect(text.filter { $0 == "(" }.count == text.filter { $0 == ")" }.count, "stray parenthesis: \(text)")
        }
    }

    /// Runs `lifeboat arguments…` in a private mount namespace where `folder` is a read-only bind mount: a folder
    /// that even root cannot write (root ignores permission bits, not a read-only mount).
    static func lifeboatWithReadOnly(
        _ cli: CLIEnvironment,
        _ folder: String,
        _ arguments: String...
    ) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            try ChildProcess.find("unshare"),
            ["-m", "sh", "-c", "mount --bind -o ro \"$0\" \"$0\" && exec \"$@\"", folder, cli.binary] + arguments,
            environment: [
                "KUBECONFIG": cli.directory.appendingPathComponent("kubeconfig").path,
                "HOME": cli.directory.path,
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            ],
            inheritEnvironment: false,
            timeout: .seconds(120)
        )
    }

    @Test func aLocationInANamespaceThatDoesNotExistSaysSo() async throws {
        try await CLIEnvironment.with { env in
            let created = try await env.lifeboat(
                "backup-location",
                "create",
                "l1",
                "--provider",
                "filesystem",
                "--bucket",
                env.bucket.path,
                "-n",
                "nowhere"
            )
            #expect(created.status == 1)
            #expect(
                created.stderr == "Error: namespace nowhere does not exist (run `lifeboat install`, or "
                    + "`kubectl create namespace nowhere` with the CRDs installed)\n",
                "\(created.output)"
            )
        }
    }

    @Test func readOnlyFolderIsUnavailableAndFailsTheRunNamingIt() async throws {
        try await CLIEnvironment.with { cli in
            let folder = cli.directory.appendingPathComponent("ro-bucket").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let created = try await Self.lifeboatWithReadOnly(
                cli,
                folder,
                "backup-location",
                "create",
                "roloc",
                "--provider",
                "filesystem",
                "--bucket",
                folder,
                "--default"
            )
            #expect(created.status == 0, "\(created.output)")
            #expect(created.stderr.contains("Warning: phase Unavailable"), "\(created.output)")
            #expect(created.stderr.contains("Read-only file system"), "\(created.output)")
            let (phase, message) = try await Self.locationStatus(cli, "roloc")
            #expect(phase == "Unavailable")
            #expect(message.contains("backup storage location \"roloc\": cannot write a probe object"), "\(message)")

            let run = try await Self.lifeboatWithReadOnly(cli, folder, "backup", "create", "b1")
            try await Self.expectFailedRunRecorded(cli, run, location: "roloc", causes: ["Read-only file system"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "nothing was written")

            // Outside the read-only mount the same folder is writable: the location is Available and the retry of
            // the failed name succeeds.
            let retry = try await cli.lifeboat("backup", "create", "b1")
            #expect(retry.status == 0, "\(retry.output)")
        }
    }

    @Test func folderUnderAFileFailsTheRunNamingIt() async throws {
        try await CLIEnvironment.with { cli in
            let blocker = try cli.write("blocker", "not a folder")
            try await Self.createGoodLocation(cli)
            let created = try await cli.lifeboat(
                "backup-location",
                "create",
                "fileloc",
                "--provider",
                "filesystem",
                "--bucket",
                blocker + "/bucket",
                "--default"
            )
            #expect(created.status == 0, "\(created.output)")
            #expect(created.stderr.contains("Warning: phase Unavailable"), "\(created.output)")
            let run = try await cli.lifeboat("backup", "create", "b1")
            try await Self.expectFailedRunRecorded(cli, run, location: "fileloc", causes: [blocker])
        }
    }
}
