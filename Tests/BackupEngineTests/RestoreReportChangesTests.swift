import Kubernetes
import Testing

@testable import BackupEngine

/// What a restore preview lists as the changes of an update: the fields a restore sets, not the metadata the API
/// server manages (issue 22: a diff buried under `/metadata/managedFields` lines).
struct RestoreReportChangesTests {
    @Test func serverManagedMetadataIsLeftOutOfTheChanges() throws {
        let live: JSONValue = [
            "metadata": [
                "name": "settings", "resourceVersion": "812", "uid": "a-1", "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [["manager": "kubectl", "operation": "Update"]], "labels": ["app": "web"],
            ],
            "data": ["color": "green", "size": "L"],
        ]
        let backedUp: JSONValue = [
            "metadata": [
                "name": "settings", "resourceVersion": "17", "uid": "b-2", "generation": 3,
                "managedFields": [["manager": "helm", "operation": "Apply"]], "labels": ["app": "web", "tier": "db"],
            ],
            "data": ["color": "blue", "size": "L"],
        ]
        let changes = RestoreReport.changes(from: live, to: backedUp)
        #expect(Set(changes.map(\.path)) == ["/metadata/labels/tier", "/data/color"])
        #expect(changes.first { $0.path == "/data/color" }?.from == "green")
        // A label whose key holds a slash is escaped as a JSON pointer and still reported.
        let slashed = RestoreReport.changes(
            from: ["metadata": ["labels": [:]]],
            to: ["metadata": ["labels": ["app.kubernetes.io/name": "web"]]]
        )
        #expect(slashed.map(\.path) == ["/metadata/labels/app.kubernetes.io~1name"])
    }
}
