import BackupEngine
import Kubernetes
import Testing
import VeleroAPI

private func object(_ json: String) throws -> JSONValue { try JSONValue(parsing: json) }

/// The object Lifeboat would create: reset, namespace set, restore labels added.
private func desired(_ json: String) throws -> JSONValue {
    RestoreMetadata.addRestoreLabels(
        try RestoreMetadata.resetMetadataAndStatus(try object(json)),
        restoreName: "r1",
        backupName: "b1"
    )
}

/// The same object as the API server returns it: server fields set, key order different, no restore labels.
private let live = #"""
    {"data":{"k":"v"},"kind":"ConfigMap","apiVersion":"v1",
     "metadata":{"uid":"u1","resourceVersion":"42","creationTimestamp":"2024-01-01T00:00:00Z","namespace":"n","name":"c",
                 "labels":{"app":"web"}}}
    """#
private let backedUp = #"""
    {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n","labels":{"app":"web"},"uid":"old",
     "resourceVersion":"1"},"data":{"k":"v"}}
    """#

struct RestoreExistingObjectTests {
    @Test func identicalIgnoresServerMetadataKeyOrderAndRestoreLabels() throws {
        let want = try desired(backedUp)
        #expect(try ExistingObjectComparison.isIdentical(live: try object(live), desired: want))
        #expect(
            try ExistingObjectComparison.decide(
                live: try object(live),
                desired: want,
                groupResource: "configmaps",
                policy: .none
            )
                == .identical(labelsPatch: nil)
        )
        guard
            case .identical(let patch?) = try ExistingObjectComparison.decide(
                live: try object(live),
                desired: want,
                groupResource: "configmaps",
                policy: .update
            )
        else {
            Issue.record("update policy should patch the restore labels of an identical object")
            return
        }
        #expect(patch == ["metadata": ["labels": ["velero.io/backup-name": "b1", "velero.io/restore-name": "r1"]]])
    }

    @Test func differentObjectsWarnUnderNoneAndUnset() throws {
        var changed = try object(live)
        changed[path: ["data", "k"]] = "other"
        let want = try desired(backedUp)
        #expect(!(try ExistingObjectComparison.isIdentical(live: changed, desired: want)))
        let none = try ExistingObjectComparison.decide(
            live: changed,
            desired: want,
            groupResource: "configmaps",
            policy: .none
        )
        #expect(
            none
                == .conflict(
                    warning:
                        "could not restore, ConfigMap \"c\" already exists. Warning: the in-cluster version is different than the backed-up version"
                )
        )
        let unset = try ExistingObjectComparison.decide(
            live: changed,
            desired: want,
            groupResource: "configmaps",
            policy: .unset
        )
        #expect(
            unset
                == .conflict(
                    warning:
                        "could not restore, ConfigMap:c already exists. Warning: the in-cluster version is different than the backed-up version"
                )
        )
    }

    @Test func updatePolicyPatchesTheDifferenceAndFallsBackToLabels() throws {
        var changed = try object(live)
        changed[path: ["data", "k"]] = "other"
        changed[path: ["data", "extra"]] = "x"
        let want = try desired(backedUp)
        guard
            case .patch(let patch, let fallback) = try ExistingObjectComparison.decide(
                live: changed,
                desired: want,
                groupResource: "configmaps",
                policy: .update
            )
        else {
            Issue.record("expected a patch")
            return
        }
        #expect(patch["data"]?["k"] == "v")
        #expect(patch["data"]?["extra"] == .null)
        #expect(patch["data"]?.objectValue?.count == 2)
        #expect(
            patch[path: ["metadata", "labels"]] == ["velero.io/backup-name": "b1", "velero.io/restore-name": "r1"]
        )
        // Applying the patch to the live object yields the desired content.
        let patched = JSONMergePatch.apply(patch, to: changed)
        #expect(patched["data"] == want["data"])
        #expect(fallback == ["metadata": ["labels": ["velero.io/backup-name": "b1", "velero.io/restore-name": "r1"]]])
    }

    @Test func serviceAccountsAreMergedWhateverThePolicy() throws {
        let liveSA = try object(
            #"""
            {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa","namespace":"n","uid":"u"},
             "secrets":[{"name":"sa-token-live"}]}
            """#
        )
        let want = try desired(
            #"""
            {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa","namespace":"n"},
             "secrets":[{"name":"sa-token-old"},{"name":"extra"}],"imagePullSecrets":[{"name":"reg"}]}
            """#
        )
        for policy in [ExistingObjectComparison.Policy.none, .unset, .update] {
            guard
                case .patch(let patch, let fallback) = try ExistingObjectComparison.decide(
                    live: liveSA,
                    desired: want,
                    groupResource: "serviceaccounts",
                    policy: policy
                )
            else {
                Issue.record("expected a service-account merge patch under \(policy)")
                continue
            }
            #expect(fallback == nil)
            #expect(patch["secrets"] == [["name": "sa-token-live"], ["name": "extra"]])
            #expect(patch["imagePullSecrets"] == [["name": "reg"]])
        }
    }

    @Test func mergePatchIsNilForEqualObjects() throws {
        let a = try object(#"{"a":1,"b":{"c":[1,2]}}"#)
        let b = try object(#"{"b":{"c":[1,2]},"a":1}"#)
        #expect(ExistingObjectComparison.mergePatch(from: a, to: b) == nil)
        let changed = try object(#"{"a":2,"b":{"c":[1,2]}}"#)
        #expect(ExistingObjectComparison.mergePatch(from: a, to: changed) == ["a": 2])
        // An integer and a double are different values, as in Velero's semantic equality.
        #expect(ExistingObjectComparison.mergePatch(from: ["x": 1], to: ["x": 1.5]) == ["x": 1.5])
    }
}
