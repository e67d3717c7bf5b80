import Kubernetes
import Testing

/// RFC 6902 (JSON patch) Appendix A and RFC 7386 (JSON merge patch) Appendix A.
struct PatchJSONTests {
    // MARK: RFC 6902

    @Test(arguments: [
        // A.1 add an object member
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        // A.2 add an array element
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        // A.3 remove an object member
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        // A.4 remove an array element
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        // A.5 replace a value
        (
            #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#,
            #"{"baz":"boo","foo":"bar"}"#
        ),
        // A.6 move a value
        (
            #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
            #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
            #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#
        ),
        // A.7 move an array element
        (
            #"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
            #"{"foo":["all","cows","eat","grass"]}"#
        ),
        // A.8 test success
        (
            #"{"baz":"qux","foo":["a",2,"c"]}"#,
            #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
            #"{"baz":"qux","foo":["a",2,"c"]}"#
        ),
        // A.10 add a nested member object
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
            #"{"foo":"bar","child":{"grandchild":{}}}"#
        ),
        // A.11 ignore unrecognized elements
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#),
        // A.14 ~ escape ordering
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        // A.16 add an array value
        (
            #"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#,
            #"{"foo":["bar",["abc","def"]]}"#
        ),
        // copy, replace of the root, numbers compare by value
        (#"{"a":{"b":1}}"#, #"[{"op":"copy","from":"/a","path":"/c"}]"#, #"{"a":{"b":1},"c":{"b":1}}"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"","value":[1]}]"#, #"[1]"#),
        (#"{"a":1.0}"#, #"[{"op":"test","path":"/a","value":1}]"#, #"{"a":1.0}"#),
    ])
    func appliesRFC6902Examples(document: String, patch: String, expected: String) throws {
        let result = try JSONPatch(json: patchJSON(patch)).apply(to: patchJSON(document))
        #expect(patchKeySorted(result) == patchKeySorted(try patchJSON(expected)))
    }

    @Test(arguments: [
        // A.9 test error
        (
            #"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#,
            "json patch operation 0 (test) failed at path \"/baz\""
        ),
        // A.12 add to a nonexistent target
        (
            #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#,
            "json patch operation 0 (add) failed at path \"/baz/bat\""
        ),
        // A.15 strings and numbers differ
        (
            #"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#,
            "json patch operation 0 (test) failed at path \"/~01\""
        ),
        (
            #"{"a":[1]}"#, #"[{"op":"add","path":"/a/-","value":2},{"op":"remove","path":"/a/5"}]"#,
            "json patch operation 1 (remove) failed at path \"/a/5\""
        ),
        (
            #"{"a":[1]}"#, #"[{"op":"add","path":"/a/01","value":2}]"#,
            "json patch operation 0 (add) failed at path \"/a/01\""
        ),
        (
            #"{"a":{}}"#, #"[{"op":"replace","path":"/a/x","value":2}]"#,
            "json patch operation 0 (replace) failed at path \"/a/x\""
        ),
        (#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#, "json patch operation 0 (move) failed"),
    ])
    func reportsTheFailingOperation(document: String, patch: String, messagePrefix: String) throws {
        let ops = try JSONPatch(json: patchJSON(patch))
        do {
            _ = try ops.apply(to: patchJSON(document))
            Issue.record("patch applied")
        } catch let e as KubeError {
            #expect(e.code == .invalid)
            #expect(e.message.hasPrefix(messagePrefix), "\(e.message)")
        }
    }

    @Test(arguments: [
        (#"{"op":"add"}"#, "json patch must be a JSON array"),
        (#"[{"op":"frobnicate","path":"/a"}]"#, "json patch operation 0: unknown op \"frobnicate\""),
        (
            #"[{"op":"remove","path":"/a"},{"op":"add","path":"/a"}]"#,
            "json patch operation 1: add needs a member \"value\""
        ),
        (
            #"[{"op":"add","path":"a","value":1}]"#,
            "json patch operation 0: JSON pointer \"a\" must be empty or start with \"/\""
        ),
        (#"[{"op":"copy","path":"/a"}]"#, "json patch operation 0: copy needs a string member \"from\""),
    ])
    func rejectsMalformedPatchDocuments(patch: String, message: String) throws {
        do {
            _ = try JSONPatch(json: patchJSON(patch))
            Issue.record("parsed")
        } catch let e as KubeError {
            #expect(e.code == .badRequest)
            #expect(e.message.hasPrefix(message), "\(e.message)")
        }
    }

    @Test func nullIsAValueNotAMissingMember() throws {
        let result = try JSONPatch(json: patchJSON(#"[{"op":"add","path":"/a","value":null}]"#)).apply(
            to: patchJSON("{}")
        )
        #expect(result == (try patchJSON(#"{"a":null}"#)))
    }

    @Test func pointersEscapeAndUnescape() throws {
        let p = try JSONPointer(parsing: "/metadata/annotations/a~1b~0c")
        #expect(p.tokens == ["metadata", "annotations", "a/b~c"])
        #expect(p.description == "/metadata/annotations/a~1b~0c")
        #expect(throws: KubeError.self) { try JSONPointer(parsing: "/a~2") }
    }

    // MARK: RFC 7386

    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func appliesRFC7386Examples(target: String, patch: String, expected: String) throws {
        #expect(JSONMergePatch.apply(try patchJSON(patch), to: try patchJSON(target)) == (try patchJSON(expected)))
    }

    @Test func createsMergePatchesThatRoundTrip() throws {
        let before = try patchJSON(#"{"a":1,"b":{"c":2,"d":3},"e":[1]}"#)
        let after = try patchJSON(#"{"a":1,"b":{"c":5},"e":[2],"f":true}"#)
        let patch = JSONMergePatch.create(from: before, to: after)
        #expect(patch == (try patchJSON(#"{"b":{"d":null,"c":5},"e":[2],"f":true}"#)))
        #expect(patchKeySorted(JSONMergePatch.apply(patch, to: before)) == patchKeySorted(after))
    }
}
