import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// Velero's command-line habits (issue 22): persistent flags before or between subcommands (the later of two
/// wins), `-l` for selectors, optional booleans given bare, kubectl-style verbs, the client config file shared
/// with the velero CLI, and shell completion. Each test runs the built `lifeboat` against a sandbox.
@Suite(.timeLimit(.minutes(5)))
struct CLIVeleroHabitsTests {
    @Test func globalFlagsWorkBeforeAndBetweenSubcommandsAndTheLaterWins() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let kubeconfig = cli.directory.appendingPathComponent("kubeconfig").path

            let before = try await cli.lifeboat(
                "--kubeconfig",
                kubeconfig,
                "-n",
                "velero",
                "backup",
                "get",
                "b1",
                "-o",
                "json"
            )
            #expect(before.status == 0, "\(before.output)")
            #expect(before.json["metadata"]?["name"] == "b1")

            let between = try await cli.lifeboat("backup", "--namespace=velero", "get", "b1", "-o", "json")
            #expect(between.status == 0, "\(between.output)")

            let joined = try await cli.lifeboat("-nvelero", "backup", "get", "b1", "-o", "json")
            #expect(joined.status == 0, "\(joined.output)")

            // Given twice, the later one wins (cobra): a wrong namespace first, the right one after.
            let twice = try await cli.lifeboat("-n", "elsewhere", "backup", "get", "b1", "-o", "json", "-n", "velero")
            #expect(twice.status == 0, "\(twice.output)")
            let wrongLast = try await cli.lifeboat("-n", "velero", "backup", "get", "b1", "-n", "elsewhere")
            #expect(wrongLast.status == 1, "\(wrongLast.output)")
            #expect(wrongLast.stderr.contains("elsewhere"), "\(wrongLast.output)")
        }
    }

    @Test func kubectlStyleVerbsNameTheKind() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let list = try await cli.lifeboat("get", "backups", "-o", "json")
            #expect(list.status == 0, "\(list.output)")
            #expect(list.stdout.contains("\"b1\""), "\(list.output)")
            let describe = try await cli.lifeboat("describe", "backup", "b1")
            #expect(describe.status == 0, "\(describe.output)")
            #expect(describe.stdout.contains("b1"), "\(describe.output)")
            let locations = try await cli.lifeboat("get", "backup-locations")
            #expect(locations.status == 0, "\(locations.output)")
            #expect(locations.stdout.contains("default"), "\(locations.output)")
        }
    }

    @Test func optionalBooleansGoBareAndSelectorsTakeL() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let create = try await cli.lifeboat(
                "backup",
                "create",
                "b2",
                "--include-namespaces",
                "app",
                "--snapshot-volumes",
                "--include-cluster-resources=false",
                "-l",
                "app=web",
                "--default-volumes-to-fs-backup"
            )
            #expect(create.status == 0, "\(create.output)")
            let spec = try await cli.lifeboat("backup", "get", "b2", "-o", "json").json["spec"]
            #expect(spec?["snapshotVolumes"] == true, "\(String(describing: spec))")
            #expect(spec?["includeClusterResources"] == false, "\(String(describing: spec))")
            #expect(spec?["defaultVolumesToFsBackup"] == true, "\(String(describing: spec))")
            #expect(spec?["labelSelector"]?["matchLabels"]?["app"] == "web", "\(String(describing: spec))")

            // A restore's `-l` is its selector, not the restore's name.
            let restore = try await cli.lifeboat(
                "restore",
                "create",
                "--from-backup",
                "b1",
                "-l",
                "app=web",
                "--dry-run",
                "-o",
                "json"
            )
            #expect(restore.status == 0, "\(restore.output)")
        }
    }

    @Test func theClientConfigIsVelerosFileAndItsNamespaceIsTheDefault() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let set = try await cli.lifeboat("client", "config", "set", "namespace=elsewhere", "features=EnableCSI")
            #expect(set.status == 0, "\(set.output)")
            let file = cli.directory.appendingPathComponent(".config/velero/config.json")
            let saved = try JSONValue(parsing: Array(try Data(contentsOf: file)))
            #expect(saved == ["features": "EnableCSI", "namespace": "elsewhere"])
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let get = try await cli.lifeboat("client", "config", "get")
            #expect(get.stdout == "features: EnableCSI\nnamespace: elsewhere\n", "\(get.output)")
            let one = try await cli.lifeboat("client", "config", "get", "namespace", "cacert")
            #expect(one.stdout == "namespace: elsewhere\ncacert: <NOT SET>\n", "\(one.output)")

            // The configured namespace is where commands look, unless -n says otherwise.
            let configured = try await cli.lifeboat("backup", "get", "b1")
            #expect(configured.status == 1, "\(configured.output)")
            #expect(configured.stderr.contains("elsewhere"), "\(configured.output)")
            let flag = try await cli.lifeboat("backup", "get", "b1", "-n", "velero")
            #expect(flag.status == 0, "\(flag.output)")

            // An empty value removes the key; a pair without `=` is skipped with a warning.
            let unset = try await cli.lifeboat("client", "config", "set", "namespace=", "oops")
            #expect(unset.status == 0, "\(unset.output)")
            #expect(unset.stderr.contains(#"invalid KEY=VALUE: "oops""#), "\(unset.output)")
            #expect(try await cli.lifeboat("backup", "get", "b1").status == 0)
        }
    }

    @Test func backupGetPrintsVelerosColumnsAndFiltersByLabel() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let table = try await cli.lifeboat("backup", "get")
            #expect(table.status == 0, "\(table.output)")
            let lines = table.stdout.split(separator: "\n")
            let header = lines.first.map(String.init) ?? ""
            let columns = header.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            #expect(columns == "NAME STATUS ERRORS WARNINGS CREATED EXPIRES STORAGE LOCATION QUEUE POSITION SELECTOR")
            let row = lines.dropFirst().first.map(String.init) ?? ""
            // CREATED as Go prints a time (`2026-04-29 17:08:12 +0000 UTC`), EXPIRES as a short duration.
            #expect(
                row.range(
                    of: #"^b1 +Completed +0 +0 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+ +29d +default +<none>$"#,
                    options: .regularExpression
                ) != nil,
                "\(table.output)"
            )

            let labelled = try await cli.lifeboat(
                "backup",
                "get",
                "-l",
                "velero.io/storage-location=default",
                "--show-labels"
            )
            #expect(labelled.status == 0, "\(labelled.output)")
            #expect(labelled.stdout.contains("velero.io/storage-location=default"), "\(labelled.output)")
            #expect(labelled.stdout.split(separator: "\n").first?.hasSuffix("LABELS") == true, "\(labelled.output)")
            let none = try await cli.lifeboat("backup", "get", "-l", "app=nothing")
            #expect(none.status == 0 && !none.stdout.contains("b1"), "\(none.output)")
            let bad = try await cli.lifeboat("backup", "get", "-l", "a b c")
            #expect(bad.status != 0, "\(bad.output)")
            #expect(bad.stderr.contains("--selector"), "\(bad.output)")
            #expect(bad.stderr.contains("lifeboat backup get"), "the subcommand's usage: \(bad.output)")
        }
    }

    @Test func restoreDeleteRemovesTheFilesThenTheRestore() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            for name in ["r1", "r2"] {
                let restore = try await cli.lifeboat("restore", "create", name, "--from-backup", "b1")
                try #require(restore.status == 0, "\(restore.output)")
            }
            let folder = cli.bucket.appendingPathComponent("restores/r1")
            #expect(!(try FileManager.default.contentsOfDirectory(atPath: folder.path)).isEmpty)

            let none = try await cli.lifeboat("restore", "delete", "--confirm")
            #expect(none.status != 0, "\(none.output)")
            #expect(none.stderr.contains("exactly one of: specific restore name(s), the --all flag"), "\(none.output)")
            let missing = try await cli.lifeboat("restore", "delete", "nope", "--confirm")
            #expect(missing.status == 1 && missing.stderr.contains("\"nope\" not found"), "\(missing.output)")

            let one = try await cli.lifeboat("restore", "delete", "r1", "--confirm")
            #expect(one.status == 0, "\(one.output)")
            #expect(one.stdout.contains("Restore \"r1\" deleted"), "\(one.output)")
            #expect(!FileManager.default.fileExists(atPath: folder.path + "/restore-r1-logs.gz"))
            let left = try await cli.client.list(
                .init(group: "velero.io", version: "v1", resource: "restores"),
                namespace: "velero"
            )
            #expect(left.items.compactMap(\.name) == ["r2"])

            let all = try await cli.lifeboat("restore", "delete", "--all", "--confirm")
            #expect(all.status == 0 && all.stdout.contains("Restore \"r2\" deleted"), "\(all.output)")
            let empty = try await cli.lifeboat("restore", "delete", "--all", "--confirm")
            #expect(empty.status == 0 && empty.stdout.contains("No restores found"), "\(empty.output)")
        }
    }

    @Test func backupDeleteTakesNamesAllOrASelectorAndAsksFirst() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            for (name, labels) in [("b2", "team=a"), ("b3", "team=a"), ("b4", "team=b")] {
                let backup = try await cli.lifeboat(
                    ["backup", "create", name, "--include-namespaces", "app", "--labels", labels]
                )
                try #require(backup.status == 0, "\(backup.output)")
            }
            func names() async throws -> [String] {
                try await cli.client.list(
                    .init(group: "velero.io", version: "v1", resource: "backups"),
                    namespace: "velero"
                )
                .items.compactMap(\.name).sorted()
            }
            let none = try await cli.lifeboat("backup", "delete", "--confirm")
            #expect(none.status == 1, "\(none.output)")
            #expect(none.stderr.contains("exactly one of: specific backup name(s), the --all flag"), "\(none.output)")
            // Velero's prompt: asked again until the answer is y or n; n deletes nothing.
            let declined = try await cli.lifeboat(["backup", "delete", "b1"], input: "maybe\nn\n")
            #expect(declined.status == 0, "\(declined.output)")
            #expect(declined.stdout.components(separatedBy: "Are you sure you want to continue (Y/N)?").count == 3)
            #expect(try await names() == ["b1", "b2", "b3", "b4"])
            let asked = try await cli.lifeboat(["backup", "delete", "b1"], input: "y\n")
            #expect(asked.status == 0 && asked.stdout.contains("Backup b1 deleted"), "\(asked.output)")
            #expect(!FileManager.default.fileExists(atPath: cli.bucket.appendingPathComponent("backups/b1").path))

            let selected = try await cli.lifeboat("backup", "delete", "-l", "team=a", "--confirm")
            #expect(selected.status == 0, "\(selected.output)")
            #expect(try await names() == ["b4"])
            // One missing name does not stop the others; it is reported and the status is 1.
            let mixed = try await cli.lifeboat("backup", "delete", "nope", "b4", "--confirm")
            #expect(mixed.status == 1, "\(mixed.output)")
            #expect(mixed.stderr.contains("Error: backup nope:"), "\(mixed.output)")
            #expect(mixed.stdout.contains("Backup b4 deleted"), "\(mixed.output)")
            let empty = try await cli.lifeboat("backup", "delete", "--all", "--confirm")
            #expect(empty.status == 0 && empty.stdout.contains("No backups found"), "\(empty.output)")
        }
    }

    @Test func restoreFromScheduleTakesItsLatestCompletedBackup() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            for name in ["nightly-20260101000000", "nightly-20260102000000"] {
                let backup = try await cli.lifeboat(
                    "backup",
                    "create",
                    name,
                    "--include-namespaces",
                    "app",
                    "--labels",
                    "velero.io/schedule-name=nightly"
                )
                try #require(backup.status == 0, "\(backup.output)")
            }
            let both = try await cli.lifeboat("restore", "create", "--from-backup", "b1", "--from-schedule", "nightly")
            #expect(
                both.status != 0 && both.stderr.contains("either a backup or schedule must be specified, but not both")
            )
            let unknown = try await cli.lifeboat("restore", "create", "--from-schedule", "weekly", "--dry-run")
            #expect(unknown.status == 1 && unknown.stderr.contains("No backups found for the schedule weekly"))

            let restore = try await cli.lifeboat(
                "restore",
                "create",
                "r1",
                "--from-schedule",
                "nightly",
                "--allow-partially-failed",
                "--write-sparse-files",
                "--parallel-files-download",
                "2",
                "--item-operation-timeout",
                "90m"
            )
            #expect(restore.status == 0, "\(restore.output)")
            #expect(
                restore.stdout.contains("Restoring backup nightly-20260102000000 of schedule nightly"),
                "\(restore.output)"
            )
            let spec = try await cli.lifeboat("restore", "get", "r1", "-o", "json").json["spec"]
            #expect(spec?["backupName"] == "nightly-20260102000000", "\(String(describing: spec))")
            #expect(spec?["scheduleName"] == "nightly")
            #expect(spec?["itemOperationTimeout"] == "1h30m0s")
            #expect(spec?["uploaderConfig"] == ["writeSparseFiles": true, "parallelFilesDownload": 2])
        }
    }

    @Test func aNamespaceGlobThatMatchesNothingBacksUpNothingAndBadNamesAreRefused() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let typo = try await cli.lifeboat("backup", "create", "typo", "--include-namespaces", "nonexistent-*")
            #expect(typo.status == 0, "\(typo.output)")
            let progress = try await cli.lifeboat("backup", "get", "typo", "-o", "json").json["status"]?["progress"]
            #expect((progress?["itemsBackedUp"]?.intValue ?? 0) == 0, "\(String(describing: progress))")

            for (index, name) in ["foo.bar", "bar_321", "$foo", "foo>bar"].enumerated() {
                let bad = try await cli.lifeboat("backup", "create", "bad-\(index)", "--include-namespaces", name)
                #expect(bad.status == 1, "\(name): \(bad.output)")
                #expect(bad.output.contains("invalid namespace \(name.debugDescription)"), "\(name): \(bad.output)")
            }
        }
    }

    @Test func backupCreateFromScheduleUsesItsTemplate() async throws {
        try await CLIEnvironment.with { cli in
            try await cli.backUpApp("b1")
            let schedule = try await cli.lifeboat(
                "schedule",
                "create",
                "nightly",
                "--schedule",
                "@every 24h",
                "--include-namespaces",
                "app",
                "--ttl",
                "2h"
            )
            try #require(schedule.status == 0, "\(schedule.output)")
            let noName = try await cli.lifeboat("backup", "create")
            #expect(noName.status == 1, "\(noName.output)")
            #expect(noName.stderr.contains("a backup name is required, unless you are creating based on a schedule"))

            let backup = try await cli.lifeboat("backup", "create", "--from-schedule", "nightly")
            #expect(backup.status == 0, "\(backup.output)")
            let list = try await cli.lifeboat("backup", "get", "-l", "velero.io/schedule-name=nightly", "-o", "json")
            let made = list.json
            #expect(made["metadata"]?["name"]?.stringValue?.hasPrefix("nightly-") == true, "\(list.output)")
            #expect(made["spec"]?["includedNamespaces"] == ["app"], "\(list.output)")
            #expect(GoDuration.parse(made["spec"]?["ttl"]?.stringValue ?? "") == .seconds(7200), "\(list.output)")
        }
    }

    @Test func schedulesAndLocationsTakeVelerosSelectionTemplateAndLabelFlags() async throws {
        try await CLIEnvironment.with { cli in
            let schedules = GroupVersionResource(group: "velero.io", version: "v1", resource: "schedules")
            // -o prints the Schedule with the whole backup template and creates nothing.
            let printed = try await cli.lifeboat(
                "schedule",
                "create",
                "shown",
                "--schedule",
                "@daily",
                "--include-namespaces",
                "app",
                "--csi-snapshot-timeout",
                "5m",
                "--item-operation-timeout",
                "1h",
                "--snapshot-move-data",
                "--resource-policies-configmap",
                "policies",
                "--ordered-resources",
                "pods=app/a,app/b",
                "--parallel-files-upload",
                "4",
                "-o",
                "json"
            )
            #expect(printed.status == 0, "\(printed.output)")
            let template = printed.json["spec"]?["template"]
            #expect(template?["csiSnapshotTimeout"] == "5m0s" && template?["itemOperationTimeout"] == "1h0m0s")
            #expect(template?["snapshotMoveData"] == true && template?["resourcePolicy"]?["name"] == "policies")
            #expect(template?["orderedResources"]?["pods"] == "app/a,app/b")
            #expect(template?["uploaderConfig"]?["parallelFilesUpload"] == 4)
            #expect(try await cli.client.list(schedules, namespace: "velero").items.isEmpty)

            for (name, labels) in [("s1", "team=a"), ("s2", "team=a"), ("s3", "team=b")] {
                let created = try await cli.lifeboat(
                    "schedule",
                    "create",
                    name,
                    "--schedule",
                    "@daily",
                    "--labels",
                    labels,
                    "--paused"
                )
                try #require(created.status == 0, "\(created.output)")
            }
            let get = try await cli.lifeboat("schedule", "get", "-l", "team=a", "-L", "team", "--show-labels")
            #expect(get.status == 0, "\(get.output)")
            let lines = get.stdout.split(separator: "\n")
            #expect(lines.first?.hasSuffix("PAUSED   TEAM   LABELS") == true, "\(get.stdout)")
            #expect(lines.count == 3 && !get.stdout.contains("s3"), "\(get.stdout)")
            #expect(lines.last?.hasSuffix("a      team=a") == true, "\(get.stdout)")

            // Pause/unpause take names, --all or -l; a schedule already in that state is skipped.
            let unpause = try await cli.lifeboat("schedule", "unpause", "-l", "team=a", "--skip-immediately")
            #expect(unpause.status == 0, "\(unpause.output)")
            #expect(unpause.stdout.contains("Schedule s1 unpaused successfully"), "\(unpause.output)")
            let s1 = try await cli.client.get(schedules, namespace: "velero", name: "s1")
            #expect(s1["spec"]?["paused"] == false && s1["spec"]?["skipImmediately"] == true)
            let pause = try await cli.lifeboat("schedule", "pause", "--all")
            #expect(pause.stdout.contains("Schedule s3 is already paused, skip"), "\(pause.output)")
            #expect(pause.stdout.contains("Schedule s2 paused successfully"), "\(pause.output)")
            let none = try await cli.lifeboat("schedule", "pause")
            #expect(none.status == 1 && none.stderr.contains("exactly one of: specific schedule name(s)"))

            let deleted = try await cli.lifeboat("schedule", "delete", "-l", "team=a", "--confirm")
            #expect(deleted.status == 0, "\(deleted.output)")
            #expect(try await cli.client.list(schedules, namespace: "velero").items.compactMap(\.name) == ["s3"])

            // Locations: sync period, validation frequency and labels; get --default; delete by selector.
            try await cli.createDefaultLocation()
            let folder = cli.directory.appendingPathComponent("second-bucket").path
            let location = try await cli.lifeboat(
                "backup-location",
                "create",
                "second",
                "--provider",
                "filesystem",
                "--bucket",
                folder,
                "--backup-sync-period",
                "90s",
                "--validation-frequency",
                "2m",
                "--labels",
                "tier=cold"
            )
            #expect(location.status == 0, "\(location.output)")
            let bsl = try await cli.lifeboat("backup-location", "get", "second", "-o", "json")
            #expect(bsl.json["spec"]?["backupSyncPeriod"] == "1m30s", "\(bsl.output)")
            #expect(bsl.json["spec"]?["validationFrequency"] == "2m0s", "\(bsl.output)")
            let defaults = try await cli.lifeboat("backup-location", "get", "--default", "-L", "tier")
            #expect(defaults.status == 0 && defaults.stdout.contains("default") && !defaults.stdout.contains("second"))
            #expect(defaults.stdout.split(separator: "\n").first?.hasSuffix("TIER") == true, "\(defaults.stdout)")
            let gone = try await cli.lifeboat("backup-location", "delete", "-l", "tier=cold", "--confirm")
            #expect(gone.status == 0 && gone.stdout.contains("\"second\" deleted"), "\(gone.output)")
            let badPeriod = try await cli.lifeboat(
                "backup-location",
                "create",
                "third",
                "--provider",
                "filesystem",
                "--bucket",
                folder,
                "--backup-sync-period",
                "soon"
            )
            #expect(badPeriod.status == 1 && badPeriod.stderr.contains("--backup-sync-period \"soon\""))
        }
    }

    @Test func completionScriptsForEachShell() async throws {
        let binary = try LifeboatProcess.require()
        for shell in ["bash", "zsh", "fish"] {
            let result = try await ChildProcess.run(binary, ["completion", shell], timeout: .seconds(60))
            #expect(result.status == 0, "\(shell): \(result.output)")
            #expect(result.stdout.contains("lifeboat"), "\(shell)")
            #expect(result.stdout.contains("backup"), "\(shell)")
        }
        let unknown = try await ChildProcess.run(binary, ["completion", "tcsh"], timeout: .seconds(60))
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown shell \"tcsh\""), "\(unknown.output)")
    }
}
