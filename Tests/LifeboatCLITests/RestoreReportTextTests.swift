import BackupEngine
import Kubernetes
import Testing

@testable import LifeboatCLI

/// The restore report is written piece by piece (a preview of a million objects is a million lines); what is
/// written is what one JSON value or one table would be.
@Suite struct RestoreReportTextTests {
    static let report: RestoreReport = {
        var report = RestoreReport(
            restoreName: "r",
            backupName: "b",
            dryRun: true,
            entries: [
                .init(
                    action: .create,
                    groupResource: "configmaps",
                    apiVersion: "v1",
                    kind: "ConfigMap",
                    namespace: "a",
                    targetNamespace: "a",
                    name: "settings"
                ),
                .init(
                    action: .update,
                    groupResource: "deployments.apps",
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    namespace: "a",
                    targetNamespace: "a",
                    name: "web",
                    reason: "differs <here>",
                    changes: [.init(path: "/spec/replicas", from: 1, to: ["nested": ["x", 2]])]
                ),
                .init(action: .excluded, groupResource: "nodes", namespace: nil, name: "n1", reason: "never restored"),
            ]
        )
        report.parallelism = [16]
        return report
    }()

    @Test func theStreamedJSONIsTheReportsJSONInAFixedOrder() throws {
        let none = RestoreReport(restoreName: "r", backupName: "b", dryRun: false)
        for report in [Self.report, none] {
            var streamed = ""
            try RestoreReportText.writeJSON(report) { streamed += $0 }
            #expect(try JSONValue(parsing: Array(streamed.utf8)) == JSONValue(encoding: report))
            let keys = try JSONValue(parsing: Array(streamed.utf8)).objectValue.map { Array($0.keys) }
            #expect(keys == ["restoreName", "backupName", "dryRun", "totals", "entries"])
        }
        var streamed = ""
        try RestoreReportText.writeJSON(Self.report) { streamed += $0 }
        #expect(
            streamed.hasPrefix("{\n    \"restoreName\": \"r\",\n    \"backupName\": \"b\",\n    \"dryRun\": true,\n")
        )
        #expect(streamed.contains("\n    \"entries\": [\n        {\n            \"action\": \"create\",\n"))
        #expect(
            streamed.hasSuffix("\"name\": \"n1\",\n            \"reason\": \"never restored\"\n        }\n    ]\n}")
        )
    }

    @Test func theStreamedTableIsAlignedOnItsWidestCell() {
        let text = RestoreReportText.render(Self.report, results: Results(), verbose: true)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "ACTION     KIND         NAME         DETAIL")
        #expect(lines[1] == "create     ConfigMap    a/settings   ")
        #expect(lines[2] == "update     Deployment   a/web        differs <here>")
        #expect(lines[3] == "excluded   nodes        n1           never restored")
        #expect(text.contains("\nupdate Deployment a/web:\n  /spec/replicas: 1 → {\"nested\":[\"x\",2]}\n"))
        #expect(text.contains("Totals: create 1, update 1, skip 0, conflict 0, excluded 1, error 0\n"))
    }
}
