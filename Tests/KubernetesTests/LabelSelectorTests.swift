import Kubernetes
import Testing

struct LabelSelectorTests {
    @Test(arguments: [
        ("app=web", "app=web"),
        ("app == web", "app==web"),
        ("tier!=cache", "tier!=cache"),
        ("env in (prod, dev),  app", "app,env in (dev,prod)"),
        ("!legacy,zone notin (b,a)", "!legacy,zone notin (a,b)"),
        ("x/y.z=1,a=", "a=,x/y.z=1"),
        ("", ""),
    ])
    func parsesAndPrintsCanonically(input: String, canonical: String) throws {
        let s = try LabelSelector(parsing: input)
        #expect(s.description == canonical)
        #expect(try LabelSelector(parsing: s.description) == s)
    }

    @Test func matchesLikeApimachinery() throws {
        let labels = ["app": "web", "env": "prod"]
        #expect(try LabelSelector(parsing: "app=web").matches(labels))
        #expect(try !LabelSelector(parsing: "app=db").matches(labels))
        #expect(try LabelSelector(parsing: "tier!=cache").matches(labels))  // missing key satisfies !=
        #expect(try LabelSelector(parsing: "env in (prod,dev)").matches(labels))
        #expect(try !LabelSelector(parsing: "env notin (prod)").matches(labels))
        #expect(try LabelSelector(parsing: "tier notin (x)").matches(labels))
        #expect(try LabelSelector(parsing: "app").matches(labels))
        #expect(try !LabelSelector(parsing: "!app").matches(labels))
        #expect(try LabelSelector(parsing: "!tier,app=web,env").matches(labels))
        #expect(try LabelSelector(parsing: "").matches([:]))
        #expect(!LabelSelector.nothing.matches([:]))
    }

    @Test(arguments: [
        ("app in web", "found 'web', expected: '('", 7),
        ("app=web,", "found '', expected: identifier after ','", 8),
        ("app web", "found 'web', expected: in, notin, =, ==, !=", 4),
        ("=web", "found '=', expected: !, identifier, or 'end of string'", 0),
        ("app=web)", "found ')', expected: ',' or 'end of string'", 7),
        ("env in (a b)", "found 'b', expected: ',' or ')'", 10),
        ("app=(x)", "found '(', expected: identifier", 4),
    ])
    func syntaxErrorsNameTokenAndPosition(input: String, expected: String, position: Int) throws {
        let error = try #require(throws: KubeError.self) { try LabelSelector(parsing: input) }
        #expect(error.code == .invalidSelector)
        #expect(error.message.contains("invalid label selector \"\(input)\""), "\(error.message)")
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(error.message.contains("(at position \(position))"), "\(error.message)")
    }

    @Test func invalidKeysAndValuesAreRejected() throws {
        let key = try #require(throws: KubeError.self) { try LabelSelector(parsing: "-bad=x") }
        #expect(key.message.contains("invalid label key \"-bad\""))
        let value = try #require(throws: KubeError.self) { try LabelSelector(parsing: "a=b@d") }
        #expect(value.message.contains("invalid label value \"b@d\""))
        let empty = try #require(throws: KubeError.self) { try LabelSelector(parsing: "a in ()") }
        #expect(empty.message.contains("values set can't be empty"))
        let long = String(repeating: "a", count: 64)
        #expect(throws: KubeError.self) { try LabelSelector(parsing: "\(long)=x") }
    }

    @Test func jsonFormConvertsToRequirements() throws {
        let json: JSONValue = [
            "matchLabels": ["app": "web"],
            "matchExpressions": [
                ["key": "env", "operator": "In", "values": ["prod", "dev"]],
                ["key": "tier", "operator": "NotIn", "values": ["cache"]],
                ["key": "zone", "operator": "Exists"],
                ["key": "legacy", "operator": "DoesNotExist"],
            ],
        ]
        let s = try LabelSelector(json: json)
        #expect(s.description == "app=web,env in (dev,prod),!legacy,tier notin (cache),zone")
        #expect(s.matches(["app": "web", "env": "dev", "zone": "a"]))
        #expect(!s.matches(["app": "web", "env": "dev"]))
        #expect(try LabelSelector(json: s.json) == s)
        #expect(try LabelSelector(json: [:]).matches(["any": "thing"]))
        #expect(try !LabelSelector(json: nil).matches([:]))
        let bad = try #require(throws: KubeError.self) {
            try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "Gt", "values": ["1"]]]])
        }
        #expect(bad.message.contains("\"Gt\" is not a valid label selector operator"))
        #expect(throws: KubeError.self) {
            try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "In", "values": []]]])
        }
        #expect(throws: KubeError.self) {
            try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "Exists", "values": ["x"]]]])
        }
    }
}

struct FieldSelectorTests {
    @Test func parsesPrintsAndMatches() throws {
        let f = try FieldSelector(parsing: "status.phase!=Running, metadata.name==cm-1,metadata.namespace=a\\,b")
        #expect(f.description == "metadata.name==cm-1,metadata.namespace=a\\,b,status.phase!=Running")
        let fields = ["metadata.name": "cm-1", "metadata.namespace": "a,b", "status.phase": "Pending"]
        #expect(f.matches { fields[$0] })
        #expect(!f.matches { $0 == "status.phase" ? "Running" : fields[$0] })
        #expect(try FieldSelector(parsing: f.description) == f)
    }

    @Test func matchesObjects() throws {
        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "ns", name: "p")
        pod["spec"] = ["nodeName": "n1"]
        #expect(try FieldSelector(parsing: "spec.nodeName=n1,metadata.name=p").matches(pod))
        #expect(try !FieldSelector(parsing: "spec.nodeName=n2").matches(pod))
        #expect(try FieldSelector(parsing: "spec.missing!=x").matches(pod))
    }

    @Test func rejectsTermsWithoutOperator() throws {
        let error = try #require(throws: KubeError.self) { try FieldSelector(parsing: "metadata.name") }
        #expect(error.message.contains("can't understand 'metadata.name'"))
        #expect(throws: KubeError.self) { try FieldSelector(parsing: "=x") }
    }
}
