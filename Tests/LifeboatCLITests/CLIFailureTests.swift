import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// Failures as a user meets them through the CLI (issue 23): no success message before a failure, credentials
/// errors that say how to give credentials, one broken location that does not hide the others, and warnings
/// readable wherever they are counted.
@Suite(.timeLimit(.minutes(5)))
struct CLIFailureTests {
    /// A one-line error (`Error: …`, exit 1) naming `values`, and nothing announced as submitted on stdout.
    static func expectFailedWithoutSubmitting(
        _ result: ChildProcess.Result,
        naming values: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        CLIContractTests.expectOneLineError(result, naming: values, sourceLocation: sourceLocation)
        #expect(
            !result.stdout.contains("submitted successfully"),
            "announced before failing:\n\(result.output)",
            sourceLocation: sourceLocation
        )
    }

    @Test func failedBackupCreateDoesNotSayItWasSubmitted() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let second = try await cli.lifeboat("backup", "create", "b2", "--include-namespaces", "app")
            #expect(second.status == 0, "\(second.output)")
            #expect(second.stdout.contains("Backup request \"b2\" submitted successfully."), "\(second.output)")

            // A name conflict.
            let conflict = try await cli.lifeboat("backup", "create", "b1", "--include-namespaces", "app")
            Self.expectFailedWithoutSubmitting(conflict, naming: ["b1"])

            // A validation failure.
            let pattern = try await cli.lifeboat("backup", "create", "b3", "--include-namespaces", "app|other")
            Self.expectFailedWithoutSubmitting(pattern, naming: ["app|other"])

            // A location that does not exist.
            let location = try await cli.lifeboat("backup", "create", "b4", "--storage-location", "nowhere")
            Self.expectFailedWithoutSubmitting(location, naming: ["nowhere"])
        }
    }

    /// An S3 location without credentials (no `--credential`, no `AWS_*`, no `~/.aws/credentials`): one line
    /// naming the missing credentials file and how to give credentials.
    @Test func missingAWSCredentialsSayHowToGiveThem() async throws {
        try await CLIEnvironment.with { cli in
            let created = try await cli.lifeboat(
                "backup-location",
                "create",
                "s3loc",
                "--provider",
                "aws",
                "--bucket",
                "lifeboat-test",
                "--config",
                "region=us-east-1,s3Url=http://127.0.0.1:9,s3ForcePathStyle=true",
                "--default"
            )
            try #require(created.status == 0, "backup-location create: \(created.output)")
            let backup = try await cli.lifeboat("backup", "create", "b1")
            Self.expectFailedWithoutSubmitting(
                backup,
                naming: [
                    cli.directory.appendingPathComponent(".aws/credentials").path, "--credential",
                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SHARED_CREDENTIALS_FILE",
                ]
            )
            #expect(!backup.output.contains("NSCocoaErrorDomain"), "\(backup.output)")
            #expect(!backup.output.contains("UserInfo"), "\(backup.output)")
        }
    }

    /// `backup get` with one good and two broken locations (a folder that cannot be created, an S3 location
    /// without credentials) lists the good one's backups and warns once per broken location, exit 0; with only
    /// broken locations it fails.
    @Test func oneBrokenLocationDoesNotHideTheOthers() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            // A folder that cannot be created, even by root: a file is where its parent should be.
            let blocker = try cli.write("blocker", "not a folder")
            let procloc = try await cli.lifeboat(
                "backup-location",
                "create",
                "procloc",
                "--provider",
                "filesystem",
                "--bucket",
                blocker + "/bucket"
            )
            try #require(procloc.status == 0, "backup-location create: \(procloc.output)")
            let s3loc = try await cli.lifeboat(
                "backup-location",
                "create",
                "s3loc",
                "--provider",
                "aws",
                "--bucket",
                "lifeboat-test",
                "--config",
                "region=us-east-1,s3Url=http://127.0.0.1:9,s3ForcePathStyle=true"
            )
            try #require(s3loc.status == 0, "backup-location create: \(s3loc.output)")

            let listed = try await cli.lifeboat("backup", "get")
            #expect(listed.status == 0, "\(listed.output)")
            #expect(listed.stdout.contains("b1"), "\(listed.output)")
            #expect(listed.errorLines.count == 2, "one warning per broken location:\n\(listed.stderr)")
            let procWarning = listed.errorLines.first { $0.contains("backup storage location procloc") }
            #expect(procWarning?.contains(blocker) == true, "\(listed.stderr)")
            let s3Warning = listed.errorLines.first { $0.contains("backup storage location s3loc") }
            #expect(s3Warning?.contains("AWS_ACCESS_KEY_ID") == true, "\(listed.stderr)")
            #expect(!listed.stderr.contains("backup storage location default"), "\(listed.stderr)")

            let json = try await cli.lifeboat("backup", "get", "-o", "json")
            #expect(json.status == 0, "\(json.output)")
            #expect(json.stdout.contains("\"b1\""), "\(json.output)")

            let onlyBroken = try await cli.lifeboat("backup", "get", "--storage-location", "procloc")
            #expect(onlyBroken.status == 1, "\(onlyBroken.output)")
            #expect(onlyBroken.stderr.contains("procloc"), "\(onlyBroken.output)")
        }
    }

    /// The lines after the `label` line of `text`, up to the next line that is not indented.
    static func linesUnder(_ label: String, in text: String) -> [Substring] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) })
        else { return [] }
        let indent = lines[index].prefix { $0 == " " }.count
        return Array(lines[(index + 1)...].prefix { $0.prefix { $0 == " " }.count > indent })
    }

    /// `backup describe` prints the warnings' text under their count, and says why when it cannot.
    @Test func describePrintsTheWarningsUnderTheirCount() async throws {
        try await CLIEnvironment.with { cli in
            let location = try await cli.lifeboat(
                "backup-location",
                "create",
                "default",
                "--provider",
                "filesystem",
                "--bucket",
                cli.bucket.path,
                "--default"
            )
            try #require(location.status == 0, "\(location.output)")
            try await cli.client.createNamespaceAndWait("app")
            // Asking for volume snapshots gives a warning (volume data is not moved yet).
            let backup = try await cli.lifeboat(
                "backup",
                "create",
                "b1",
                "--include-namespaces",
                "app",
                "--snapshot-volumes=true"
            )
            try #require(backup.status == 0, "\(backup.output)")
            // `backup create` counts it and shows it.
            #expect(backup.stdout.contains("1 warnings."), "\(backup.stdout)")
            #expect(backup.stdout.contains("volume data was not backed up"), "\(backup.stdout)")

            let described = try await cli.lifeboat("backup", "describe", "b1")
            #expect(described.status == 0, "\(described.output)")
            #expect(described.stdout.contains("Warnings:  1"), "\(described.stdout)")
            let under = Self.linesUnder("Warnings:  1", in: described.stdout)
            #expect(under.count == 1, "\(described.stdout)")
            #expect(under.first?.contains("volume data was not backed up") == true, "\(described.stdout)")

            // Without the results file, the count still says why its text is missing.
            try FileManager.default.removeItem(
                at: cli.bucket.appendingPathComponent("backups/b1/b1-results.gz")
            )
            let withoutResults = try await cli.lifeboat("backup", "describe", "b1")
            #expect(withoutResults.status == 0, "\(withoutResults.output)")
            let missing = Self.linesUnder("Warnings:  1", in: withoutResults.stdout)
            #expect(missing.first?.contains("b1-results.gz") == true, "\(withoutResults.stdout)")
        }
    }
}
