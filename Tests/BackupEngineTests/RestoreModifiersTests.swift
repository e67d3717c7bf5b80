import BackupEngine
import Kubernetes
import Testing

private func object(_ json: String) throws -> JSONValue { try JSONValue(parsing: json) }

private let pvc = #"""
    {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"mysql-data","namespace":"foo",
     "labels":{"app":"db","test":"x"}},"spec":{"storageClassName":"premium","resources":{"requests":{"storage":"1Gi"}}}}
    """#

private let deployment = #"""
    {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"foo","labels":{"app":"web"}},
     "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.14"},{"name":"side","image":"busybox"}]}}}}
    """#

private func modifiers(_ yaml: String) throws -> ResourceModifiers {
    try ResourceModifiers(configMapNamespace: "velero", configMapName: "mods", data: ["rules.yaml": yaml])
}

private func expectInvalid(
    _ yaml: String,
    mentioning parts: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = #expect(throws: BackupEngineError.self, sourceLocation: sourceLocation) {
        _ = try modifiers(yaml)
    }
    #expect(error?.code == .invalidModifiers, sourceLocation: sourceLocation)
    for part in parts {
        #expect(
            error?.message.contains(part) == true,
            "message: \(error?.message ?? "none")",
            sourceLocation: sourceLocation
        )
    }
}

struct RestoreModifiersTests {
    @Test func jsonPatchesApplyInOrderToMatchingItems() throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions:
                groupResource: persistentvolumeclaims
                resourceNameRegex: "^mysql.*$"
                namespaces: [bar, foo]
                labelSelector:
                  matchLabels: {app: db}
              patches:
              - operation: replace
                path: "/spec/storageClassName"
                value: "standard"
              - operation: remove
                path: "/metadata/labels/test"
              - operation: add
                path: "/metadata/annotations"
                value: '{"restored": "yes", "count": 3}'
            """
        )
        let result = mods.apply(to: try object(pvc), groupResource: "persistentvolumeclaims")
        #expect(result.errors.isEmpty)
        #expect(result.appliedRules == [0])
        #expect(result.object[path: ["spec", "storageClassName"]] == "standard")
        #expect(result.object[path: ["metadata", "labels"]] == ["app": "db"])
        #expect(result.object[path: ["metadata", "annotations"]] == ["restored": "yes", "count": 3])
    }

    @Test(arguments: [
        ("groupResource: persistentvolumeclaims\n    namespaces: [bar]", false),
        ("groupResource: persistentvolumeclaims\n    resourceNameRegex: \"^postgres\"", false),
        ("groupResource: persistentvolumeclaims\n    resourceNameRegex: \"data\"", true),
        ("groupResource: \"*\"", true),
        ("groupResource: \"*.apps\"", false),
        ("groupResource: \"persistent*\"", true),
        ("groupResource: \"{pods,persistentvolumeclaims}\"", true),
        (
            "groupResource: persistentvolumeclaims\n    labelSelector: {matchExpressions: [{key: app, operator: In, values: [db, cache]}]}",
            true
        ),
        (
            "groupResource: persistentvolumeclaims\n    labelSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}",
            false
        ),
        (
            "groupResource: persistentvolumeclaims\n    labelSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}",
            true
        ),
        ("groupResource: persistentvolumeclaims\n    matches: [{path: /spec/storageClassName, value: premium}]", true),
        ("groupResource: persistentvolumeclaims\n    matches: [{path: /spec/storageClassName, value: gold}]", false),
        ("groupResource: persistentvolumeclaims\n    matches: [{path: /spec/missing/deep, value: x}]", false),
        (
            "groupResource: persistentvolumeclaims\n    matches: [{path: /spec/resources/requests, value: '{\"storage\": \"1Gi\"}'}]",
            true
        ),
    ])
    func conditionsDecideWhetherARuleApplies(conditions: String, applies: Bool) throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions:
                \(conditions)
              mergePatches:
              - patchData: |
                  metadata:
                    labels:
                      modified: "true"
            """
        )
        let result = mods.apply(to: try object(pvc), groupResource: "persistentvolumeclaims")
        #expect(result.errors.isEmpty)
        #expect((result.object[path: ["metadata", "labels", "modified"]] == "true") == applies)
    }

    /// Regression (lifeboat-fuzz, resource-modifiers target): `{` alternatives were parsed recursively
    /// without a limit, so a `groupResource` with thousands of `{` overflowed the stack.
    @Test func deeplyNestedGlobAlternativesAreRejected() throws {
        let error = try #require(throws: BackupEngineError.self) {
            try GroupResourceGlob("deployments" + String(repeating: "{", count: 100_000))
        }
        #expect(error.message.contains("nested deeper than"), "\(error.message)")
        #expect(try GroupResourceGlob("{a,{b,{c,d}}}.apps").matches("d.apps"))
    }

    @Test func groupResourceGlobUsesDotAsSeparator() throws {
        #expect(try GroupResourceGlob("*.apps").matches("deployments.apps"))
        #expect(!(try GroupResourceGlob("*").matches("deployments.apps")))
        #expect(try GroupResourceGlob("**").matches("deployments.apps"))
        #expect(try GroupResourceGlob("deployments.*").matches("deployments.apps"))
        #expect(!(try GroupResourceGlob("deployments.*").matches("deployments")))
        #expect(try GroupResourceGlob("[a-d]eployments.app?").matches("deployments.apps"))
        #expect(!(try GroupResourceGlob("[!d]eployments.apps").matches("deployments.apps")))
        #expect(throws: BackupEngineError.self) { try GroupResourceGlob("[abc") }
    }

    @Test func failingTestOperationLeavesTheItemUnchanged() throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: persistentvolumeclaims}
              patches:
              - {operation: test, path: /spec/storageClassName, value: gold}
              - {operation: replace, path: /spec/storageClassName, value: platinum}
            - conditions: {groupResource: persistentvolumeclaims}
              patches:
              - {operation: test, path: /spec/storageClassName, value: premium}
              - {operation: replace, path: /spec/storageClassName, value: standard}
            """
        )
        let result = mods.apply(to: try object(pvc), groupResource: "persistentvolumeclaims")
        #expect(result.errors.isEmpty)
        #expect(result.appliedRules == [1])
        #expect(result.object[path: ["spec", "storageClassName"]] == "standard")
    }

    @Test func rulesMatchOnTheOriginalItemAndPatchCumulatively() throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: persistentvolumeclaims, matches: [{path: /spec/storageClassName, value: premium}]}
              patches: [{operation: replace, path: /spec/storageClassName, value: standard}]
            - conditions: {groupResource: persistentvolumeclaims, matches: [{path: /spec/storageClassName, value: premium}]}
              patches: [{operation: add, path: /metadata/labels/second, value: "yes"}]
            """
        )
        let result = mods.apply(to: try object(pvc), groupResource: "persistentvolumeclaims")
        #expect(result.appliedRules == [0, 1])
        #expect(result.object[path: ["spec", "storageClassName"]] == "standard")
        #expect(result.object[path: ["metadata", "labels", "second"]] == "yes")
    }

    @Test(arguments: [
        ("\"3\"", JSONValue.int(3)),
        ("3", JSONValue.int(3)),
        ("'\"3\"'", JSONValue.string("3")),
        ("\"\\\"true\\\"\"", JSONValue.string("true")),
        ("true", JSONValue.bool(true)),
        ("\"null\"", JSONValue.null),
        ("null", JSONValue.string("")),  // YAML null leaves Go's string field empty
        ("plain text", JSONValue.string("plain text")),
        ("'[1, 2]'", JSONValue.array([1, 2])),
        ("\"\"", JSONValue.string("")),
    ])
    func patchValuesBecomeJSONLikeVelero(yamlValue: String, expected: JSONValue) throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: persistentvolumeclaims}
              patches:
              - operation: add
                path: /spec/value
                value: \(yamlValue)
            """
        )
        let result = mods.apply(to: try object(pvc), groupResource: "persistentvolumeclaims")
        #expect(result.errors.isEmpty)
        #expect(result.object[path: ["spec", "value"]] == expected)
    }

    @Test func mergePatchesApplyInOrder() throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: deployments.apps}
              mergePatches:
              - patchData: '{"spec":{"replicas":3},"metadata":{"labels":{"app":null}}}'
              - patchData: |
                  spec:
                    replicas: 5
            """
        )
        let result = mods.apply(to: try object(deployment), groupResource: "deployments.apps")
        #expect(result.errors.isEmpty)
        #expect(result.object[path: ["spec", "replicas"]] == 5)
        #expect(result.object[path: ["metadata", "labels"]] == [:])
        // The merge patch replaces lists whole.
        #expect(result.object[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.count == 2)
    }

    @Test func strategicPatchesMergeContainersByName() throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: deployments.apps, namespaces: [foo]}
              strategicPatches:
              - patchData: |
                  spec:
                    template:
                      spec:
                        containers:
                        - name: nginx
                          image: nginx:1.25
            """
        )
        let result = mods.apply(to: try object(deployment), groupResource: "deployments.apps")
        #expect(result.errors.isEmpty)
        let containers = try #require(result.object[path: ["spec", "template", "spec", "containers"]]?.arrayValue)
        #expect(containers.count == 2)
        #expect(containers.first { $0["name"] == "nginx" }?["image"] == "nginx:1.25")
        #expect(containers.first { $0["name"] == "side" }?["image"] == "busybox")
    }

    @Test func strategicPatchOnACustomResourceIsAnItemErrorNamingTheRule() throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: deployments.apps}
              mergePatches: [{patchData: '{"spec":{"replicas":2}}'}]
            - conditions: {groupResource: "*.example.com"}
              strategicPatches: [{patchData: '{"spec":{"size":2}}'}]
            """
        )
        let widget = try object(
            #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"foo"},"spec":{"size":1}}"#
        )
        let result = mods.apply(to: widget, groupResource: "widgets.example.com")
        #expect(result.object == widget)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.message.contains("rule 1") == true)
        #expect(result.errors.first?.message.contains("velero/mods") == true)
    }

    @Test func failingJSONPatchIsAnErrorAndLeavesTheItem() throws {
        let mods = try modifiers(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: persistentvolumeclaims}
              patches: [{operation: replace, path: /spec/nothing/here, value: x}]
            """
        )
        let result = mods.apply(to: try object(pvc), groupResource: "persistentvolumeclaims")
        let original = try object(pvc)
        #expect(result.object == original)
        #expect(result.errors.first?.message.contains("rule 0") == true)
    }

    @Test func jsonConfigMapDataIsAccepted() throws {
        let mods = try modifiers(
            #"""
            {"version":"V1","resourceModifierRules":[{"conditions":{"groupResource":"persistentvolumeclaims"},
             "patches":[{"operation":"replace","path":"/spec/storageClassName","value":"fast"}]}]}
            """#
        )
        let claim = try object(pvc)
        #expect(
            mods.apply(to: claim, groupResource: "persistentvolumeclaims")
                .object[path: ["spec", "storageClassName"]] == "fast"
        )
    }

    @Test func malformedConfigMapsAreRejectedUpFront() {
        let twoKeys = #expect(throws: BackupEngineError.self) {
            _ = try ResourceModifiers(configMapNamespace: "velero", configMapName: "mods", data: ["a": "", "b": ""])
        }
        #expect(twoKeys?.message.contains("illegal resource modifiers velero/mods configmap") == true)
        expectInvalid(
            "version: v2\nresourceModifierRules: []",
            mentioning: ["velero/mods", "rules.yaml", "unsupported resource modifier version"]
        )
        expectInvalid("version: v1\nresourceModifierRules: []", mentioning: ["resource modifier rules cannot be empty"])
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {namespaces: [a]}\n  patches: [{operation: add, path: /x, value: y}]",
            mentioning: ["resourceModifierRules[0].conditions.groupResource", "cannot be empty"]
        )
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: frobnicate, path: /x}]",
            mentioning: ["resourceModifierRules[0].patches[0].operation", "unsupported operation frobnicate"]
        )
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: add, value: x}]",
            mentioning: ["patches[0].path", "path cannot be empty"]
        )
        expectInvalid(
            """
            version: v1
            resourceModifierRules:
            - conditions: {groupResource: pods}
              patches: [{operation: add, path: /x, value: y}]
              mergePatches: [{patchData: '{}'}]
            """,
            mentioning: ["only one of patches, mergePatches, strategicPatches can be specified"]
        )
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods, color: red}\n  patches: [{operation: add, path: /x, value: y}]",
            mentioning: ["unknown field \"color\""]
        )
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods, resourceNameRegex: \"([\"}\n  patches: [{operation: add, path: /x, value: y}]",
            mentioning: ["resourceNameRegex", "error in matching regex"]
        )
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods, labelSelector: {matchExpressions: [{key: a, operator: Near}]}}\n  patches: [{operation: add, path: /x, value: y}]",
            mentioning: ["labelSelector", "not a valid label selector operator"]
        )
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: add, path: /x, value: \"TRUE\"}]",
            mentioning: ["patches[0].value", "error in decoding json patch"]
        )
        expectInvalid(
            "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  mergePatches: [{patchData: '[1]'}]",
            mentioning: ["mergePatches[0].patchData"]
        )
        expectInvalid("version: v1\nresourceModifierRules: [\n", mentioning: ["failed to decode"])
    }
}
