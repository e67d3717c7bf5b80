import BackupEngine
import Kubernetes
import Testing
import VeleroAPI

/// Builds objects for the restore-transform tests.
private func object(_ json: String) throws -> JSONValue { try JSONValue(parsing: json) }

struct RestoreMetadataTests {
    @Test func resetMetadataStripsServerFieldsAndKeepsTheRest() throws {
        let backedUp = try object(
            #"""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n","generateName":"c-",
             "selfLink":"/x","uid":"u","resourceVersion":"7","generation":3,"creationTimestamp":"t",
             "deletionTimestamp":"t","deletionGracePeriodSeconds":30,"ownerReferences":[{"uid":"o"}],
             "labels":{"a":"1"},"annotations":{"b":"2"},"finalizers":["f"],"managedFields":[{"manager":"m"}]},
             "data":{"k":"v"},"status":{"x":1}}
            """#
        )
        let reset = try RestoreMetadata.resetMetadataAndStatus(backedUp)
        let metadata = try #require(reset["metadata"]?.objectValue)
        #expect(Set(metadata.keys) == ["name", "namespace", "labels", "annotations", "finalizers", "managedFields"])
        #expect(reset["status"] == nil)
        #expect(reset["data"] == backedUp["data"])
        #expect(RestoreMetadata.resetStatus(backedUp)["metadata"] == backedUp["metadata"])
    }

    @Test func resetMetadataNeedsMetadata() {
        #expect(throws: BackupEngineError.self) { try RestoreMetadata.resetMetadata(["kind": "X"]) }
        #expect(throws: BackupEngineError.self) { try RestoreMetadata.resetMetadata(["metadata": "x"]) }
    }

    @Test func restoreLabelsAreAddedAndLongValuesShortened() throws {
        let long = "restore-with-a-very-long-name-that-goes-past-the-sixty-three-byte-label-limit"
        let labelled = RestoreMetadata.addRestoreLabels(
            try object(#"{"metadata":{"name":"x","labels":{"app":"web"}}}"#),
            restoreName: long,
            backupName: "b1"
        )
        let labels = try #require(labelled[path: ["metadata", "labels"]]?.objectValue)
        #expect(labels["app"] == "web")
        #expect(labels["velero.io/backup-name"] == "b1")
        // GetValidName: first 57 bytes + first 6 hex digits of SHA-256(value).
        let expected = String(long.prefix(57)) + "60cbed"
        #expect(labels["velero.io/restore-name"]?.stringValue == expected)
        #expect(expected.utf8.count == 63)
        #expect(RestoreMetadata.validLabelValue(String(repeating: "a", count: 63)) == String(repeating: "a", count: 63))
        #expect(RestoreMetadata.validLabelValue(expected) == expected)
    }

    @Test(
        arguments: [
            // annotation, status lists, expected
            (nil, nil, false),
            (nil, IncludesExcludes(), true),
            (nil, IncludesExcludes(includes: ["deployments.apps"]), true),
            (nil, IncludesExcludes(includes: ["pods"]), false),
            (nil, IncludesExcludes(excludes: ["deployments.apps"]), false),
            ("true", nil, true),
            ("false", IncludesExcludes(includes: ["*"]), false),
            ("maybe", IncludesExcludes(includes: ["deployments.apps"]), true),
        ] as [(String?, IncludesExcludes?, Bool)]
    )
    func statusRestoreDecision(annotation: String?, lists: IncludesExcludes?, expected: Bool) throws {
        var item = try object(#"{"kind":"Deployment","metadata":{"name":"d"},"status":{"replicas":1}}"#)
        if let annotation {
            item[path: ["metadata", "annotations"]] = ["velero.io/restore-status": .string(annotation)]
        }
        #expect(
            RestoreMetadata.shouldRestoreStatus(groupResource: "deployments.apps", object: item, restoreStatus: lists)
                == expected
        )
    }

    @Test func skipRules() throws {
        let succeeded = try object(#"{"metadata":{"name":"p"},"status":{"phase":"Succeeded"}}"#)
        let failed = try object(#"{"metadata":{"name":"p"},"status":{"phase":"Failed"}}"#)
        let running = try object(#"{"metadata":{"name":"p"},"status":{"phase":"Running"}}"#)
        let mirror = try object(#"{"metadata":{"name":"p","annotations":{"kubernetes.io/config.mirror":"abc"}}}"#)
        let doneJob = try object(#"{"metadata":{"name":"j"},"status":{"completionTime":"2024-01-01T00:00:00Z"}}"#)
        let runningJob = try object(#"{"metadata":{"name":"j"},"status":{"active":1}}"#)
        #expect(RestoreMetadata.skipReason(groupResource: "pods", object: succeeded) == .completed)
        #expect(RestoreMetadata.skipReason(groupResource: "pods", object: failed) == .completed)
        #expect(RestoreMetadata.skipReason(groupResource: "pods", object: running) == nil)
        #expect(RestoreMetadata.skipReason(groupResource: "pods", object: mirror) == .mirrorPod)
        #expect(RestoreMetadata.skipReason(groupResource: "jobs.batch", object: doneJob) == .completed)
        #expect(RestoreMetadata.skipReason(groupResource: "jobs.batch", object: runningJob) == nil)
        #expect(RestoreMetadata.skipReason(groupResource: "configmaps", object: succeeded) == nil)
    }
}

struct RestoreVolumeBindingTests {
    let pv = #"""
        {"kind":"PersistentVolume","metadata":{"name":"pv1","annotations":{"pv.kubernetes.io/bind-completed":"yes",
         "pv.kubernetes.io/bound-by-controller":"yes","keep":"me"}},
         "spec":{"persistentVolumeReclaimPolicy":"Retain","claimRef":{"namespace":"src","name":"c","uid":"u","resourceVersion":"1"}}}
        """#

    @Test func resetVolumeBindingInfoDropsClaimUIDAndBindingAnnotations() throws {
        let reset = VolumeBinding.resetVolumeBindingInfo(try object(pv))
        #expect(reset[path: ["spec", "claimRef"]] == ["namespace": "src", "name": "c"])
        #expect(reset[path: ["metadata", "annotations"]] == ["keep": "me"])
        #expect(!VolumeBinding.hasDeleteReclaimPolicy(reset))
    }

    @Test func claimRefNamespaceFollowsTheMapping() throws {
        let (mapped, changed) = VolumeBinding.remapClaimRefNamespace(try object(pv), namespaceMapping: ["src": "dst"])
        #expect(changed)
        #expect(mapped[path: ["spec", "claimRef", "namespace"]] == "dst")
        let (same, unchanged) = VolumeBinding.remapClaimRefNamespace(try object(pv), namespaceMapping: ["x": "y"])
        #expect(!unchanged)
        let original = try object(pv)
        #expect(same == original)
    }

    @Test func claimBindingReset() throws {
        let pvc = try object(
            #"""
            {"metadata":{"name":"c","annotations":{"pv.kubernetes.io/bind-completed":"yes"}},"spec":{"volumeName":"pv1"}}
            """#
        )
        let kept = VolumeBinding.resetClaimBinding(pvc)
        #expect(kept[path: ["spec", "volumeName"]] == "pv1")
        #expect(kept[path: ["metadata", "annotations"]] == [:])
        #expect(
            VolumeBinding.resetClaimBinding(pvc, dynamicallyProvisioned: ["pv1"])[path: ["spec", "volumeName"]] == nil
        )
        #expect(
            VolumeBinding.resetClaimBinding(pvc, renamedVolumes: ["pv1": "pv9"])[path: ["spec", "volumeName"]] == "pv9"
        )
    }
}
