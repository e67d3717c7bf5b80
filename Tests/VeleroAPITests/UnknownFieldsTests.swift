import Kubernetes
import Testing
import VeleroAPI

/// Fields this version does not know survive decode → change → encode, at every level.
struct UnknownFieldsTests {
    /// A Backup from a future Velero: unknown keys at the top level, in metadata, spec, a nested spec struct, an
    /// array element, and status.
    static let futureBackup = """
        {"apiVersion":"velero.io/v1","kind":"Backup","futureTopLevel":{"x":1},
        "metadata":{"name":"future","namespace":"velero","labels":{"app":"shop"},
        "managedFields":[{"manager":"velero-server","operation":"Update","apiVersion":"velero.io/v1",
        "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}],
        "ownerReferences":[{"apiVersion":"velero.io/v1","kind":"Schedule","name":"nightly",
        "uid":"8f1e2c3d-aaaa-4bbb-8ccc-0d1e2f3a4b5c"}]},
        "spec":{"includedNamespaces":["shop"],"ttl":"24h0m0s","snapshotVolumes":true,"newThing":{"mode":"fast"},
        "uploaderConfig":{"parallelFilesUpload":2,"newKnob":"on"},
        "orLabelSelectors":[{"matchLabels":{"a":"b"},"newSelectorField":true}],
        "resourcePolicy":{"kind":"configmap","name":"p","newRefField":7}},
        "status":{"phase":"InProgress","newCounter":42,"progress":{"totalItems":10,"itemsBackedUp":3,"newRate":1.5}}}
        """

    @Test func decodeChangeEncodeKeepsUnknownFields() throws {
        let original = try JSONValue(parsing: Self.futureBackup)
        var backup = try original.decode(as: Backup.self)
        backup.spec.ttl = "72h0m0s"
        backup.spec.snapshotVolumes = nil
        backup.spec.uploaderConfig?.parallelFilesUpload = 8
        backup.metadata.labels?["team"] = "payments"
        backup.status?.phase = BackupPhase.completed
        backup.status?.progress?.itemsBackedUp = 10

        let json = try JSONValue(encoding: backup)
        #expect(json["futureTopLevel"] == original["futureTopLevel"])
        #expect(json["metadata"]?["managedFields"] == original["metadata"]?["managedFields"])
        #expect(json["metadata"]?["ownerReferences"] == original["metadata"]?["ownerReferences"])
        #expect(json["metadata"]?["labels"] == ["app": "shop", "team": "payments"])
        #expect(json["spec"]?["newThing"] == ["mode": "fast"])
        #expect(json["spec"]?["ttl"] == "72h0m0s")
        #expect(json["spec"]?["snapshotVolumes"] == nil, "a typed field set to nil removes its key")
        #expect(json["spec"]?["uploaderConfig"] == ["parallelFilesUpload": 8, "newKnob": "on"])
        #expect(json["spec"]?["orLabelSelectors"] == [["matchLabels": ["a": "b"], "newSelectorField": true]])
        #expect(json["spec"]?["resourcePolicy"]?["newRefField"] == 7)
        #expect(json["status"]?["newCounter"] == 42)
        #expect(json["status"]?["phase"] == "Completed")
        #expect(json["status"]?["progress"] == ["totalItems": 10, "itemsBackedUp": 10, "newRate": 1.5])
    }

    @Test func ownerReferencesAreTypedAndCanBeReplacedOrRemoved() throws {
        var backup = try JSONValue(parsing: Self.futureBackup).decode(as: Backup.self)
        #expect(backup.metadata.ownerReferences?.first?.kind == "Schedule")
        #expect(backup.metadata.ownerReferences?.first?.uid == "8f1e2c3d-aaaa-4bbb-8ccc-0d1e2f3a4b5c")
        backup.metadata.ownerReferences = [
            OwnerReference(apiVersion: "velero.io/v1", kind: "Backup", name: "b", uid: "u", controller: true)
        ]
        let replaced = try JSONValue(encoding: backup)
        #expect(
            replaced["metadata"]?["ownerReferences"]
                == [["apiVersion": "velero.io/v1", "kind": "Backup", "name": "b", "uid": "u", "controller": true]]
        )
        backup.metadata.ownerReferences = nil
        #expect(try JSONValue(encoding: backup)["metadata"]?["ownerReferences"] == nil)
    }

    @Test func removingAnOptionalStructDropsItsUnknownFieldsToo() throws {
        var backup = try JSONValue(parsing: Self.futureBackup).decode(as: Backup.self)
        backup.spec.uploaderConfig = nil
        backup.status = nil
        let json = try JSONValue(encoding: backup)
        #expect(json["spec"]?["uploaderConfig"] == nil)
        #expect(json["status"] == nil)
        #expect(json["spec"]?["newThing"] != nil)
    }

    @Test func equalityIgnoresThePreservedJSON() throws {
        let decoded = try JSONValue(parsing: Self.futureBackup).decode(as: Backup.self)
        var rebuilt = Backup(metadata: decoded.metadata, spec: decoded.spec, status: decoded.status)
        #expect(rebuilt == decoded)
        rebuilt.spec.ttl = "1h0m0s"
        #expect(rebuilt != decoded)
    }

    /// The read-modify-write of a controller: create the future object, read it, change a known field, update,
    /// and read it back from the API server.
    @Test func updateThroughTheAPIServerDoesNotNarrowTheObject() async throws {
        try await TestCluster.with { client in
            let object = try #require(KubeObject(try JSONValue(parsing: Self.futureBackup)))
            _ = try await client.create(Backup.resource, namespace: "velero", object)

            var backup = try Backup(try await client.get(Backup.resource, namespace: "velero", name: "future"))
            backup.spec.ttl = "72h0m0s"
            backup.status?.phase = BackupPhase.completed
            _ = try await client.update(Backup.resource, namespace: "velero", try backup.kubeObject())

            let stored = try await client.get(Backup.resource, namespace: "velero", name: "future").value
            #expect(stored["spec"]?["ttl"] == "72h0m0s")
            #expect(stored["spec"]?["newThing"] == ["mode": "fast"])
            #expect(stored["spec"]?["uploaderConfig"]?["newKnob"] == "on")
            #expect(stored["spec"]?["orLabelSelectors"]?[0]?["newSelectorField"] == true)
            #expect(stored["status"]?["newCounter"] == 42)
            #expect(stored["status"]?["phase"] == "Completed")
            #expect(stored["futureTopLevel"] == ["x": 1])
            #expect(stored["metadata"]?["ownerReferences"]?[0]?["name"] == "nightly")
            let managers = stored["metadata"]?["managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue }
            #expect(managers?.contains("velero-server") == true, "\(managers ?? [])")
        }
    }
}
