import Foundation
import KubeSandboxTesting
import Kubernetes
import OrderedCollections
import ProcessTesting
import Testing

/// The CLI's contracts (README "CLI reference"): the JSON of `backup get -o json`,
/// `restore create --dry-run -o json` and `node-agent config explain -o json`, exit codes (0 success, 1 errors)
/// and one-line errors that name the value at fault. Each test runs the built `lifeboat` against a sandbox.
@Suite(.timeLimit(.minutes(5)))
struct CLIContractTests {
    /// The keys of `object` (empty when it is not an object).
    static func keys(_ value: JSONValue?) -> Set<String> { Set(value?.objectValue?.keys ?? []) }

    @Test func backupGetPrintsTheBackupAsVeleroDoes() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")

            let one = try await cli.lifeboat("backup", "get", "b1", "-o", "json")
            #expect(one.status == 0, "\(one.output)")
            let backup = one.json
            #expect(backup["apiVersion"] == "velero.io/v1")
            #expect(backup["kind"] == "Backup")
            #expect(backup["metadata"]?["name"] == "b1")
            #expect(backup["metadata"]?["namespace"] == "velero")
            #expect(backup["metadata"]?["labels"]?["velero.io/storage-location"] == "default")
            #expect(backup["spec"]?["includedNamespaces"] == ["app"])
            #expect(backup["spec"]?["storageLocation"] == "default")
            #expect(backup["spec"]?["ttl"]?.stringValue != nil)
            let status = backup["status"]
            #expect(status?["phase"] == "Completed")
            #expect(status?["version"] == 1)
            #expect(status?["formatVersion"] == "1.1.0")
            for field in ["startTimestamp", "completionTimestamp", "expiration"] {
                #expect(status?[field]?.stringValue != nil, "status.\(field) in \(one.stdout)")
            }
            let progress = status?["progress"]
            #expect((progress?["itemsBackedUp"]?.intValue ?? 0) > 0, "\(one.stdout)")
            #expect(progress?["itemsBackedUp"] == progress?["totalItems"])

            // One backup in the list is printed on its own, as Velero prints a list of one; more are a BackupList.
            let alone = try await cli.lifeboat("backup", "get", "-o", "json")
            #expect(alone.status == 0 && alone.json["kind"] == "Backup", "\(alone.output)")
            let second = try await cli.lifeboat("backup", "create", "b2", "--include-namespaces", "app")
            #expect(second.status == 0, "\(second.output)")
            let all = try await cli.lifeboat("backup", "get", "-o", "json")
            #expect(all.status == 0, "\(all.output)")
            #expect(all.json["kind"] == "BackupList")
            #expect(all.json["apiVersion"] == "velero.io/v1")
            let names = (all.json["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }
            #expect(names == ["b1", "b2"])
        }
    }

    @Test func restoreDryRunReportsEveryObjectWithTheDocumentedKeys() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            // One object the restore would create, the others identical: both kinds of entry in the report.
            try await cli.client.delete(.configMaps, namespace: "app", name: "settings")

            let result = try await cli.lifeboat(
                "restore",
                "create",
                "r1",
                "--from-backup",
                "b1",
                "--dry-run",
                "-o",
                "json"
            )
            #expect(result.status == 0, "\(result.output)")
            let report = result.json
            #expect(
                Self.keys(report) == ["restoreName", "backupName", "dryRun", "totals", "entries"],
                "\(result.stdout)"
            )
            #expect(report["restoreName"] == "r1")
            #expect(report["backupName"] == "b1")
            #expect(report["dryRun"] == true)
            #expect(Self.keys(report["totals"]) == ["create", "update", "skip", "conflict", "excluded", "error"])
            let entries = report["entries"]?.arrayValue ?? []
            #expect(!entries.isEmpty, "\(result.stdout)")
            let documented: Set<String> = [
                "action", "groupResource", "apiVersion", "kind", "namespace", "targetNamespace", "name", "reason",
                "changes",
            ]
            for entry in entries {
                #expect(Self.keys(entry).isSubset(of: documented), "undocumented keys in \(entry.jsonString)")
                #expect(Self.keys(entry).isSuperset(of: ["action", "groupResource", "name"]), "\(entry.jsonString)")
            }
            let settings = try #require(
                entries.first { $0["groupResource"] == "configmaps" && $0["name"] == "settings" }
            )
            #expect(settings["action"] == "create")
            #expect(settings["apiVersion"] == "v1")
            #expect(settings["kind"] == "ConfigMap")
            #expect(settings["namespace"] == "app")
            #expect(settings["targetNamespace"] == "app")
            let created = entries.filter { $0["action"] == "create" }.count
            #expect(report["totals"]?["create"]?.intValue == Int64(created))
            // A dry run changes nothing.
            let stillGone = try? await cli.client.get(.configMaps, namespace: "app", name: "settings")
            #expect(stillGone == nil)
        }
    }

    @Test func nodeAgentConfigExplainPrintsTheDocumentedKeys() async throws {
        try await CLIEnvironment.with { cli in
            let config = try cli.write(
                "config.json",
                #"""
                {"loadConcurrency":{"globalConfig":2,"prepareQueueLength":5,
                  "perNodeConfig":[{"nodeSelector":{"matchLabels":{"size":"large"}},"number":4}]},
                 "loadAffinity":[{"nodeSelector":{"matchLabels":{"size":"large"}},"storageClass":"fast"}],
                 "privilegedFsBackup":true}
                """#
            )
            let nodes = try cli.write(
                "nodes.yaml",
                """
                apiVersion: v1
                kind: List
                items:
                - {apiVersion: v1, kind: Node, metadata: {name: n1, labels: {size: large}}}
                - {apiVersion: v1, kind: Node, metadata: {name: n2}}
                """
            )
            let result = try await cli.lifeboat(
                "node-agent",
                "config",
                "explain",
                "--config",
                config,
                "--nodes",
                nodes,
                "-o",
                "json"
            )
            #expect(result.status == 0, "\(result.output)")
            let explanation = result.json
            #expect(
                Self.keys(explanation).isSuperset(of: [
                    "warnings", "loadConcurrency", "loadAffinity", "podResources", "priorityClassName", "backupPVC",
                    "restorePVC", "privilegedFsBackup", "cachePVC",
                ]),
                "\(result.stdout)"
            )
            let concurrency = explanation["loadConcurrency"]
            #expect(Self.keys(concurrency).isSuperset(of: ["global", "prepareQueueLength", "perNode"]))
            #expect(concurrency?["global"] == 2)
            #expect(concurrency?["prepareQueueLength"] == 5)
            let perNode = concurrency?["perNode"]?.arrayValue ?? []
            #expect(perNode.allSatisfy { Self.keys($0) == ["node", "number", "rule"] }, "\(perNode)")
            #expect(perNode.first { $0["node"] == "n1" }?["number"] == 4)
            #expect(perNode.first { $0["node"] == "n1" }?["rule"] == "perNodeConfig[0]")
            #expect(perNode.first { $0["node"] == "n2" }?["rule"] == "globalConfig")
            let affinity = explanation["loadAffinity"]?.arrayValue ?? []
            #expect(
                affinity.allSatisfy {
                    Self.keys($0) == ["storageClass", "rule", "nodeAffinity", "admittedNodes"]
                },
                "\(affinity)"
            )
            #expect(explanation["privilegedFsBackup"] == true)
            #expect(explanation["warnings"]?.arrayValue != nil)
        }
    }

    // MARK: - Exit codes and errors

    /// An error is one line on stderr (`Error: …`, no stack trace) that names the value at fault; exit code 1.
    static func expectOneLineError(
        _ result: ChildProcess.Result,
        naming values: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == 1, "exit status; output:\n\(result.output)", sourceLocation: sourceLocation)
        #expect(result.errorLines.count == 1, "one line on stderr:\n\(result.stderr)", sourceLocation: sourceLocation)
        let line = String(result.errorLines.first ?? "")
        #expect(line.hasPrefix("Error: "), "\(line)", sourceLocation: sourceLocation)
        for value in values {
            #expect(line.contains(value), "the error names \(value): \(line)", sourceLocation: sourceLocation)
        }
    }

    /// A value that `validate()` refuses is a usage error (as for an unknown flag): exit code 1 like every Velero
    /// error, the `Error: …` line naming the value, then only the usage hint.
    static func expectUsageError(
        _ result: ChildProcess.Result,
        naming values: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == 1, "exit status; output:\n\(result.output)", sourceLocation: sourceLocation)
        let lines = result.errorLines.map(String.init)
        let line = lines.first ?? ""
        #expect(line.hasPrefix("Error: "), "\(result.stderr)", sourceLocation: sourceLocation)
        for value in values {
            #expect(line.contains(value), "the error names \(value): \(line)", sourceLocation: sourceLocation)
        }
        let hint = lines.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(
            hint.allSatisfy { $0.hasPrefix("Usage: ") || $0.hasPrefix("See '") },
            "only the usage hint:\n\(result.stderr)",
            sourceLocation: sourceLocation
        )
    }

    @Test func errorsAreOneLineNamingTheValueWithExitCode1() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")

            let pattern = try await cli.lifeboat("backup", "create", "b2", "--include-namespaces", "app|other")
            Self.expectOneLineError(pattern, naming: ["app|other"])

            let badName = try await cli.lifeboat("backup", "create", "Bad_Name")
            Self.expectUsageError(badName, naming: ["Bad_Name"])

            let missing = try await cli.lifeboat("backup", "get", "missing")
            Self.expectOneLineError(missing, naming: ["\"missing\""])

            let describeMissing = try await cli.lifeboat("backup", "describe", "missing")
            Self.expectOneLineError(describeMissing, naming: ["\"missing\""])

            let restoreMissing = try await cli.lifeboat(
                "restore",
                "create",
                "r2",
                "--from-backup",
                "missing",
                "--dry-run"
            )
            Self.expectOneLineError(restoreMissing, naming: ["\"missing\""])

            let brokenConfig = try cli.write("broken.json", #"{"loadConcurrency":{"globalConfig":"two"}}"#)
            let explain = try await cli.lifeboat(
                "node-agent",
                "config",
                "explain",
                "--config",
                brokenConfig,
                "-o",
                "json"
            )
            Self.expectOneLineError(explain, naming: ["globalConfig"])

            let ok = try await cli.lifeboat("backup", "get", "b1")
            #expect(ok.status == 0, "\(ok.output)")
            #expect(ok.stdout.contains("b1"))
        }
    }
}
