import Foundation
import Kubernetes
import Testing

@testable import BackupEngine

/// The tables a backup or restore keeps an entry in per object (``BackedUpItems``, ``RestoreReport/Entries``,
/// ``RestoreLedger``, ``RunLog``) hold them compactly; these tests check that what goes in comes out.
@Suite struct CompactTablesTests {
    @Test func backedUpItemsFindEachItemOnceAndCountThemByGroupResource() {
        var items = BackedUpItems()
        let pods = (0..<500).map { ItemReference(groupResource: "pods", namespace: "ns-\($0 % 7)", name: "pod-\($0)") }
        for pod in pods {
            let inserted = items.insert(pod, apiVersion: "v1", kind: "Pod")
            #expect(inserted)
        }
        let namespace = ItemReference(groupResource: "namespaces", namespace: nil, name: "ns-1")
        let first = items.insert(namespace, apiVersion: "v1", kind: "Namespace")
        // The same again is refused; a name that differs only in its namespace or group-resource is another item.
        let again = [
            items.insert(pods[42], apiVersion: "v1", kind: "Pod"),
            items.insert(namespace, apiVersion: "v1", kind: "Namespace"),
        ]
        #expect(first && again == [false, false])
        let other = ItemReference(groupResource: "pods", namespace: "ns-6", name: "pod-1")
        #expect(!items.contains(other))
        let otherInserted = items.insert(other, apiVersion: "v1", kind: "Pod")
        #expect(otherInserted)
        #expect(items.contains(ItemReference(groupResource: "namespaces", namespace: nil, name: "ns-1")))
        #expect(!items.contains(ItemReference(groupResource: "configmaps", namespace: nil, name: "ns-1")))
        #expect(items.count == 502)
        #expect(items.count(ofGroupResource: "pods") == 501)
        #expect(items.count(ofGroupResource: "secrets") == 0)
    }

    @Test func hashPositionsKeepEntriesThatShareAHashApart() {
        var positions = HashPositions()
        positions.insert(3, hash: 7)
        positions.insert(5, hash: 7)
        positions.insert(9, hash: 7)
        positions.insert(4, hash: 8)
        #expect(positions.first(hash: 7) { $0 == 3 } == 3)
        #expect(positions.first(hash: 7) { $0 == 9 } == 9)
        #expect(positions.first(hash: 7) { $0 == 4 } == nil)
        #expect(positions.first(hash: 8) { _ in true } == 4)
        #expect(positions.first(hash: 1) { _ in true } == nil)
    }

    @Test func reportEntriesGiveBackEveryFieldAndCodeLikeAnArray() throws {
        let change = RestoreReport.FieldChange(path: "/data/a", from: "1", to: "2")
        let entries: [RestoreReport.Entry] = [
            .init(
                action: .create,
                groupResource: "configmaps",
                apiVersion: "v1",
                kind: "ConfigMap",
                namespace: "a",
                targetNamespace: "b",
                name: "a-name-longer-than-fifteen-bytes"
            ),
            .init(
                action: .update,
                groupResource: "configmaps",
                apiVersion: "v1",
                kind: "ConfigMap",
                namespace: "a",
                targetNamespace: "a",
                name: "x",
                reason: nil,
                changes: [change]
            ),
            .init(action: .excluded, groupResource: "nodes", namespace: nil, name: "n1", reason: "not restored"),
            .init(action: .error, groupResource: "", namespace: "", targetNamespace: nil, name: "", reason: "boom"),
        ]
        var compact = RestoreReport.Entries()
        compact += entries[0..<2]
        compact.append(contentsOf: entries[2...])
        #expect(Array(compact) == entries)
        #expect(compact == RestoreReport.Entries(entries))
        #expect(compact != RestoreReport.Entries(entries.reversed()))
        #expect(compact.count(of: [.create, .update]) == 2)
        #expect(compact.action(at: 3) == .error)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(compact) == encoder.encode(entries))
        #expect(try JSONDecoder().decode(RestoreReport.Entries.self, from: encoder.encode(entries)) == compact)
    }

    @Test func theRestoreResourceListNamesTheTargetNamespaceAndTheResult() throws {
        func entry(_ action: RestoreReport.Action, _ name: String, kind: String? = "ConfigMap") -> RestoreReport.Entry {
            .init(
                action: action,
                groupResource: "configmaps",
                apiVersion: kind == nil ? nil : "v1",
                kind: kind,
                namespace: "src",
                targetNamespace: "dst",
                name: name
            )
        }
        let report = RestoreReport(
            restoreName: "r",
            backupName: "b",
            dryRun: false,
            entries: [
                entry(.skip, "d"), entry(.create, "a"), entry(.update, "b"), entry(.conflict, "c"), entry(.error, "e"),
                entry(.excluded, "f"), entry(.create, "g", kind: nil),
                // A name that begins another orders by what follows it: "(" after "a", "b" and " " after "a".
                entry(.create, "ab"), entry(.create, "a b"),
                .init(action: .create, groupResource: "namespaces", apiVersion: "v1", kind: "Namespace", name: "dst"),
            ]
        )
        let text = String(decoding: try GzipDecompressor.decompress(report.resourceListFile()), as: UTF8.self)
        #expect(
            text
                == #"{"/configmaps":["dst/g(created)"],"v1/ConfigMap":["dst/a b(created)","dst/a(created)","#
                + #""dst/ab(created)","dst/b(updated)","#
                + #""dst/c(skipped)","dst/d(skipped)","dst/e(failed)"],"v1/Namespace":["dst(created)"]}"# + "\n"
        )
        #expect(report.totals == ["create": 5, "update": 1, "skip": 1, "conflict": 1, "excluded": 1, "error": 1])
    }

    @Test func theLedgerRestoresEachItemOnceAndLetsWaitersGoWhenItIsDone() async {
        let ledger = RestoreLedger(count: 130)
        #expect(await ledger.claim(129))
        #expect(await ledger.claim(0))
        // A second claim of item 0 waits until the first claimant finishes it, then says it is done.
        async let second = ledger.claim(0)
        await ledger.finish(0)
        #expect(await second == false)
        #expect(await ledger.claim(0) == false)
        await ledger.finish(129)
        #expect(await ledger.claim(129) == false)
        #expect(await ledger.claim(64))
        // An ordinal past the count still works.
        #expect(await ledger.claim(1000))
        await ledger.finish(1000)
        #expect(await ledger.claim(1000) == false)
    }

    @Test func theRunLogIsOneGzipFileOfItsLinesInOrder() throws {
        let log = RunLog(context: "restore=velero/r", memberSize: 300)
        #expect(try GzipDecompressor.decompress(log.gzipped()).isEmpty)
        for number in 0..<100 { log.info("Restored ConfigMap ns/cm-\(number)") }
        log.error("it \"failed\"", fields: [("name", "a b")])
        let lines = log.text.split(separator: "\n")
        #expect(lines.count == 101)
        #expect(lines[7].hasSuffix(#"level=info msg="Restored ConfigMap ns/cm-7" restore=velero/r"#))
        #expect(lines[100].hasSuffix(#"level=error msg="it \"failed\"" name="a b" restore=velero/r"#))
        // Several members (one per 300 bytes of text), read as one file.
        #expect(try GzipDecompressor.decompress(log.gzipped()) == Array(log.text.utf8))
        #expect(log.compressedSize < log.text.utf8.count)
    }
}
