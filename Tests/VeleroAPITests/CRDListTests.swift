import Kubernetes
import Testing
import VeleroAPI

/// The one CRD list: every velero.io kind once, with Velero's names.
struct CRDListTests {
    @Test func listsTheThirteenVeleroKinds() throws {
        let kinds = VeleroCRDs.kinds
        #expect(kinds.count == 13)
        #expect(Set(kinds.map(\.kind)).count == 13)
        #expect(kinds.allSatisfy { $0.group == VeleroAPIGroup.name && $0.namespaced })
        #expect(kinds.filter { $0.version == "v2alpha1" }.map(\.kind).sorted() == ["DataDownload", "DataUpload"])
        #expect(Backup.resource == GroupVersionResource(group: "velero.io", version: "v1", resource: "backups"))
        #expect(
            DataUpload.resource
                == GroupVersionResource(group: "velero.io", version: "v2alpha1", resource: "datauploads")
        )
        #expect(BackupStorageLocation.kindInfo.shortNames == ["bsl"])
    }

    @Test func definitionsCarryVelerosLabelAndNames() throws {
        let crds = VeleroCRDs.all
        #expect(crds.count == 13)
        let backups = try #require(crds.first { $0.name == "backups.velero.io" })
        #expect(backups.labels == ["component": "velero"])
        #expect(backups["spec"]?["names"]?["kind"] == "Backup")
        #expect(backups["spec"]?["scope"] == "Namespaced")
        // As Velero's: no status subresource anywhere; `subresources: {}` where Velero's CRD has it.
        func subresources(_ name: String) -> JSONValue? {
            crds.first { $0.name == name }?["spec"]?["versions"]?[0]?["subresources"]
        }
        #expect(subresources("backups.velero.io") == nil && subresources("restores.velero.io") == nil)
        #expect(subresources("schedules.velero.io") == .object([:]))
        #expect(subresources("podvolumebackups.velero.io") == .object([:]))
        #expect(VeleroCRDs.volumeSnapshotDefinitions.count == 3)
        let annotated = VeleroCRDs.definitions(annotations: ["a": "b"])
        #expect(annotated.allSatisfy { $0["metadata"]?["annotations"]?["a"] == "b" })
    }
}
