import Foundation
import Kubernetes
import NIOCore
import Testing

struct JSONValueTests {
    @Test func parsesAllTypesAndKeepsKeyOrder() throws {
        let text =
            #"{"z":1,"a":[true,false,null],"m":{"b":"x","a":-2.5e3},"big":18446744073709551616,"neg":-9223372036854775808}"#
        let v = try JSONValue(parsing: text)
        #expect(v.objectValue.map { Array($0.keys) } == ["z", "a", "m", "big", "neg"])
        #expect(v["z"] == .int(1))
        #expect(v["a"]?[0] == .bool(true))
        #expect(v["a"]?[2] == .null)
        #expect(v["m"]?["a"]?.doubleValue == -2500)
        #expect(v["big"] == .double(18_446_744_073_709_551_616))
        #expect(v["neg"] == .int(Int64.min))
        #expect(v["m"].map { Array($0.objectValue!.keys) } == ["b", "a"])
    }

    @Test func roundTripsEscapesLikeGo() throws {
        let original: JSONValue = ["s": "a\"b\\c\n\t\u{1}<>&\u{2028}é😀", "e": "", "n": [1, -2, 3.25, 1e21]]
        let bytes = original.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"\u003c\u003e\u0026"#))
        #expect(text.contains(#"\u0001"#))
        #expect(text.contains(#"\u2028"#))
        #expect(text.contains("é😀"))
        #expect(try JSONValue(parsing: bytes) == original)
        #expect(try JSONValue(parsing: original.encoded(pretty: true)) == original)
    }

    @Test func decodesUnicodeEscapesAndSurrogates() throws {
        let v = try JSONValue(parsing: #"["\u00e9\ud83d\ude00\/", "\ud800x"]"#)
        #expect(v[0]?.stringValue == "é😀/")
        #expect(v[1]?.stringValue == "\u{FFFD}x")
    }

    @Test func compactOutputMatchesGoEncoding() throws {
        let v = try JSONValue(parsing: #"{ "a" : [ 1 , 2.0, 0.5 ] , "b" : { } , "c" : [ ] }"#)
        #expect(v.jsonString == #"{"a":[1,2,0.5],"b":{},"c":[]}"#)
        #expect(
            v.prettyJSONString
                == "{\n    \"a\": [\n        1,\n        2,\n        0.5\n    ],\n    \"b\": {},\n    \"c\": []\n}"
        )
    }

    @Test(arguments: [
        ("{\"a\":1,}", "offset 7 (line 1, column 8)", "expected a string key"),
        ("[1,2", "offset 4 (line 1, column 5)", "end of input"),
        ("{\n  \"a\": tru\n}", "line 2, column 8", "expected 'true'"),
        ("\"abc", "offset 0", "unterminated string"),
        ("01", "offset 0", "leading zero"),
        ("{} x", "offset 3", "after top-level value"),
        ("\"a\\qb\"", "offset 2", "invalid escape"),
        ("", "offset 0", "end of input"),
    ])
    func errorsNamePositionAndProblem(input: String, position: String, problem: String) throws {
        let error = try #require(throws: KubeError.self) { try JSONValue(parsing: input) }
        #expect(error.code == .malformedJSON)
        #expect(error.message.contains(position), "\(error.message)")
        #expect(error.message.contains(problem), "\(error.message)")
    }

    @Test func rejectsExcessiveNesting() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let error = try #require(throws: KubeError.self) { try JSONValue(parsing: deep) }
        #expect(error.message.contains("nesting deeper"))
    }

    @Test func subscriptsSetAndRemove() throws {
        var v: JSONValue = ["metadata": ["name": "a"]]
        v["metadata"]?["labels"] = ["app": "web"]
        v[path: ["spec", "template", "metadata", "name"]] = "t"
        #expect(v["metadata"]?["labels"]?["app"]?.stringValue == "web")
        #expect(v[path: ["spec", "template", "metadata", "name"]]?.stringValue == "t")
        v["metadata"]?["name"] = nil
        #expect(v["metadata"]?["name"] == nil)
        #expect(v["metadata"]?.objectValue?.keys.first == "labels")
    }

    @Test func parsesFromByteBufferAndWrites() throws {
        var buffer = ByteBuffer(string: #"{"k":"v"}"#)
        let v = try JSONValue(parsing: buffer)
        #expect(v["k"]?.stringValue == "v")
        buffer.clear()
        v.write(into: &buffer)
        #expect(String(buffer: buffer) == #"{"k":"v"}"#)
    }

    @Test func yamlRoundTripKeepsTypes() throws {
        let yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cm
              creationTimestamp: 2024-01-01T00:00:00Z
            data:
              port: "8080"
              enabled: "true"
              multi: |
                line1
                line2
            count: 3
            ratio: 0.5
            flag: true
            nothing: null
            list:
            - a
            - 1
            """
        let v = try JSONValue(yaml: yaml)
        #expect(v["data"]?["port"] == .string("8080"))
        #expect(v["data"]?["enabled"] == .string("true"))
        #expect(v["metadata"]?["creationTimestamp"] == .string("2024-01-01T00:00:00Z"))
        #expect(v["count"] == .int(3))
        #expect(v["ratio"] == .double(0.5))
        #expect(v["flag"] == .bool(true))
        #expect(v["nothing"] == .null)
        #expect(v["data"]?["multi"] == .string("line1\nline2\n"))
        let emitted = v.yamlString()
        #expect(emitted.contains("port: \"8080\""))
        #expect(try JSONValue(yaml: emitted) == v)
    }

    /// Regression (lifeboat-fuzz, kubeconfig target): anchors referring to anchors ("billion laughs") made a
    /// 600-byte kubeconfig expand to millions of values (24 s in a debug build; one more level, hours).
    @Test func yamlAliasExpansionIsBounded() throws {
        var chain = "[&a0 [x]"
        for level in 1..<10 {
            chain += ", &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]"
        }
        let bomb = "preferences: " + chain + "]\n"
        let error = try #require(throws: KubeError.self) { try JSONValue(yaml: bomb) }
        #expect(error.code == .malformedYAML)
        #expect(error.message.contains("excessive aliasing"), "\(error.message)")
        #expect(throws: KubeError.self) { try JSONValue.yamlDocuments("a: 1\n---\n" + bomb) }
        // As a mapping key the same chain used to hang inside Yams (its duplicate-key check hashes the expansion).
        // (A flow key this long is also a syntax error: implicit keys are limited to 1024 characters.)
        let flowKeyError = try #require(throws: KubeError.self) { try JSONValue(yaml: "{" + chain + "]: v}") }
        #expect(flowKeyError.code == .malformedYAML)
        for keyed in ["? " + chain + "]\n: v\n", "{[&s [x], [*s, *s]]: v}", "a: &k [1]\n*k : v\n"] {
            let keyError = try #require(throws: KubeError.self) { try JSONValue(yaml: keyed) }
            #expect(keyError.message.contains("mapping keys must be scalars"), "\(keyError.message)")
        }
        // Ordinary aliases still work.
        let value = try JSONValue(yaml: "base: &b {image: nginx, replicas: 2}\ncopy: *b\n")
        #expect(value["copy"] == value["base"])
    }

    @Test func yamlMultiDocumentAndErrors() throws {
        let docs = try JSONValue.yamlDocuments("a: 1\n---\n---\nb: 2\n")
        #expect(docs == [["a": 1], ["b": 2]])
        let error = try #require(throws: KubeError.self) { try JSONValue(yaml: "a: [1, 2\nb: 3") }
        #expect(error.code == .malformedYAML)
    }

    @Test func codableBridging() throws {
        struct Spec: Codable, Equatable {
            var name: String
            var replicas: Int
        }
        let v = try JSONValue(encoding: Spec(name: "x", replicas: 2))
        #expect(v["replicas"] == .int(2))
        #expect(try v.decode(as: Spec.self) == Spec(name: "x", replicas: 2))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a":[1,"b",null,true]}"#.utf8))
        #expect(decoded == ["a": [1, "b", nil, true]])
    }

    @Test func kubeObjectAccessors() throws {
        var o = KubeObject(apiVersion: "apps/v1", kind: "Deployment", namespace: "ns", name: "web")
        o.labels = ["b": "2", "a": "1"]
        o.annotations["note"] = "x"
        o.finalizers = ["f"]
        o.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "X", name: "o", uid: "u", controller: true)]
        o.resourceVersion = "7"
        o["spec"] = ["replicas": 1]
        #expect(o.group == "apps" && o.version == "v1")
        #expect(o.labels == ["a": "1", "b": "2"])
        #expect(o.annotations == ["note": "x"])
        #expect(o.ownerReferences.first?.controller == true)
        #expect(
            Array(o.metadata.keys) == [
                "namespace", "name", "labels", "annotations", "finalizers", "ownerReferences", "resourceVersion",
            ]
        )
        let reparsed = try KubeObject(parsing: o.encoded())
        #expect(reparsed == o)
        o.labels = [:]
        #expect(o.metadata["labels"] == nil)
    }
}

struct JSONValueEqualityTests {
    @Test func objectsCompareAsUnorderedMaps() throws {
        let a = try JSONValue(parsing: #"{"kind":"ConfigMap","apiVersion":"v1","data":{"x":"1","y":[1,2]}}"#)
        let b = try JSONValue(parsing: #"{"apiVersion":"v1","data":{"y":[1,2],"x":"1"},"kind":"ConfigMap"}"#)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        let c = try JSONValue(parsing: #"{"apiVersion":"v1","data":{"y":[2,1],"x":"1"},"kind":"ConfigMap"}"#)
        #expect(a != c)  // arrays stay ordered
        let d = try JSONValue(parsing: #"{"apiVersion":"v1","kind":"ConfigMap"}"#)
        #expect(a != d)
        #expect(JSONValue.object(["a": 1]) != JSONValue.object(["b": 1]))
        #expect(JSONValue.int(1) != JSONValue.string("1"))
    }
}
