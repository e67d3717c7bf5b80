import Kubernetes
import Testing

/// Strategic merge patch cases modelled on apimachinery's strategicpatch tests, on real kinds.
struct PatchStrategicTests {
    let deployment = PatchSchemaRegistry.builtIn.schema(group: "apps", kind: "Deployment")!
    let pod = PatchSchemaRegistry.builtIn.schema(group: "", kind: "Pod")!

    func apply(_ patch: String, to original: String, schema: PatchSchema? = nil) throws -> JSONValue {
        try StrategicMergePatch.apply(patchJSON(patch), to: patchJSON(original), schema: schema ?? pod)
    }

    @Test func mergesContainersByNameKeepingOrder() throws {
        let result = try apply(
            #"{"spec":{"containers":[{"name":"b","image":"b2"}]}}"#,
            to: #"{"spec":{"containers":[{"name":"a","image":"a1"},{"name":"b","image":"b1","args":["x"]}]}}"#
        )
        #expect(
            result
                == (try patchJSON(
                    #"{"spec":{"containers":[{"name":"a","image":"a1"},{"name":"b","image":"b2","args":["x"]}]}}"#
                ))
        )
    }

    @Test func putsNewElementsBeforeTheLiveOnes() throws {
        // apimachinery's mergeSortedSlice places patch items not in the live list first.
        let result = try apply(
            #"{"spec":{"containers":[{"name":"c","image":"c1"}]}}"#,
            to: #"{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"#
        )
        #expect(
            result["spec"]?["containers"] == (try patchJSON(#"[{"name":"c","image":"c1"},{"name":"a"},{"name":"b"}]"#))
        )
    }

    @Test func mergesNestedListsByTheirOwnKeys() throws {
        let original = #"""
            {"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx",
              "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
              "ports":[{"containerPort":80,"protocol":"TCP"}],
              "volumeMounts":[{"name":"data","mountPath":"/data"}]}]}}}}
            """#
        let patch = #"""
            {"spec":{"template":{"spec":{"containers":[{"name":"web",
              "env":[{"name":"B","value":"3"}],
              "ports":[{"containerPort":80,"name":"http"}],
              "volumeMounts":[{"name":"other","mountPath":"/data"}]}]}}}}
            """#
        let result = try StrategicMergePatch.apply(patchJSON(patch), to: patchJSON(original), schema: deployment)
        let container = result[path: ["spec", "template", "spec", "containers"]]?[0]
        #expect(container?["env"] == (try patchJSON(#"[{"name":"A","value":"1"},{"name":"B","value":"3"}]"#)))
        #expect(container?["ports"] == (try patchJSON(#"[{"containerPort":80,"protocol":"TCP","name":"http"}]"#)))
        #expect(container?["volumeMounts"] == (try patchJSON(#"[{"name":"other","mountPath":"/data"}]"#)))
        #expect(container?["image"] == "nginx")
    }

    @Test func replacesListsWithoutAMergeKey() throws {
        let result = try apply(
            #"{"spec":{"tolerations":[{"key":"b"}],"containers":[{"name":"a","args":["2"]}]}}"#,
            to: #"{"spec":{"tolerations":[{"key":"a"}],"containers":[{"name":"a","args":["1","x"]}]}}"#
        )
        #expect(result["spec"]?["tolerations"] == (try patchJSON(#"[{"key":"b"}]"#)))
        #expect(result["spec"]?["containers"]?[0]?["args"] == (try patchJSON(#"["2"]"#)))
    }

    @Test func deletesElementsWithThePatchDirective() throws {
        let result = try apply(
            #"{"spec":{"containers":[{"name":"b","$patch":"delete"}]}}"#,
            to: #"{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"#
        )
        #expect(result["spec"]?["containers"] == (try patchJSON(#"[{"name":"a"}]"#)))
    }

    @Test func replacesAListWithThePatchDirective() throws {
        let result = try apply(
            #"{"spec":{"containers":[{"$patch":"replace"},{"name":"z"}]}}"#,
            to: #"{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"#
        )
        #expect(result["spec"]?["containers"] == (try patchJSON(#"[{"name":"z"}]"#)))
    }

    @Test func replacesAndDeletesMapsWithThePatchDirective() throws {
        let original = #"{"spec":{"nodeSelector":{"a":"1","b":"2"},"affinity":{"x":1}}}"#
        let replaced = try apply(#"{"spec":{"nodeSelector":{"$patch":"replace","c":"3"}}}"#, to: original)
        #expect(replaced["spec"]?["nodeSelector"] == (try patchJSON(#"{"c":"3"}"#)))
        let deleted = try apply(#"{"spec":{"affinity":{"$patch":"delete"}}}"#, to: original)
        #expect(deleted["spec"]?["affinity"] == (try patchJSON("{}")))
        #expect(deleted["spec"]?["nodeSelector"] == (try patchJSON(#"{"a":"1","b":"2"}"#)))
    }

    @Test func rejectsAnUnknownMapDirective() throws {
        #expect(throws: KubeError.self) {
            try apply(#"{"spec":{"nodeSelector":{"$patch":"merge"}}}"#, to: #"{"spec":{"nodeSelector":{}}}"#)
        }
        #expect(throws: KubeError.self) {
            try apply(#"{"spec":{"containers":[{"$patch":"merge"}]}}"#, to: #"{"spec":{"containers":[{"name":"a"}]}}"#)
        }
    }

    @Test func mergesPrimitiveListsAsSetsAndDeletesFromThem() throws {
        let merged = try apply(#"{"metadata":{"finalizers":["b","c"]}}"#, to: #"{"metadata":{"finalizers":["a","b"]}}"#)
        #expect(merged["metadata"]?["finalizers"] == ["a", "b", "c"])
        let deleted = try apply(
            #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a","zz"]}}"#,
            to: #"{"metadata":{"finalizers":["a","b"]}}"#
        )
        #expect(deleted["metadata"]?["finalizers"] == ["b"])
        let absent = try apply(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#, to: #"{"metadata":{}}"#)
        #expect(absent["metadata"] == (try patchJSON("{}")))
    }

    @Test func setsElementOrder() throws {
        let result = try apply(
            #"{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"a","image":"new"}]}}"#,
            to: #"{"spec":{"containers":[{"name":"a","image":"old"},{"name":"b"}]}}"#
        )
        #expect(result["spec"]?["containers"] == (try patchJSON(#"[{"name":"b"},{"name":"a","image":"new"}]"#)))
        #expect(result["spec"]?["$setElementOrder/containers"] == nil)
    }

    @Test func rejectsAPatchListOutOfOrderWithSetElementOrder() throws {
        #expect(throws: KubeError.self) {
            try apply(
                #"{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"name":"b"},{"name":"a"}]}}"#,
                to: #"{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"#
            )
        }
    }

    @Test func retainsOnlyTheListedKeys() throws {
        let result = try StrategicMergePatch.apply(
            patchJSON(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#),
            to: patchJSON(
                #"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},"replicas":2}}"#
            ),
            schema: deployment
        )
        #expect(result == (try patchJSON(#"{"spec":{"strategy":{"type":"Recreate"},"replicas":2}}"#)))
        let volume = try apply(
            #"{"spec":{"volumes":[{"name":"v","$retainKeys":["name","configMap"],"configMap":{"name":"c"}}]}}"#,
            to: #"{"spec":{"volumes":[{"name":"v","emptyDir":{}}]}}"#
        )
        #expect(volume["spec"]?["volumes"] == (try patchJSON(#"[{"name":"v","configMap":{"name":"c"}}]"#)))
        #expect(throws: KubeError.self) {
            try apply(
                #"{"spec":{"volumes":[{"name":"v","$retainKeys":["name"],"configMap":{}}]}}"#,
                to: #"{"spec":{"volumes":[{"name":"v"}]}}"#
            )
        }
    }

    @Test func nullDeletesAndIsNeverStored() throws {
        let result = try apply(
            #"{"metadata":{"labels":{"a":null,"c":"3"},"annotations":{"x":null,"y":{"z":null}}}}"#,
            to: #"{"metadata":{"labels":{"a":"1","b":"2"}}}"#
        )
        #expect(result == (try patchJSON(#"{"metadata":{"labels":{"b":"2","c":"3"},"annotations":{"y":{}}}}"#)))
    }

    @Test func requiresTheMergeKey() throws {
        do {
            _ = try apply(#"{"spec":{"containers":[{"image":"x"}]}}"#, to: #"{"spec":{"containers":[{"name":"a"}]}}"#)
            Issue.record("applied")
        } catch let e as KubeError {
            #expect(e.code == .badRequest)
            #expect(e.message.contains("spec.containers"))
            #expect(e.message.contains("does not contain declared merge key: name"))
        }
    }

    @Test func knowsWhichKindsAreBuiltIn() {
        #expect(PatchSchemaRegistry.builtIn.schema(group: "velero.io", kind: "Backup") == nil)
        #expect(PatchSchemaRegistry.builtIn.schema(group: "", kind: "ConfigMap") == .objectMeta)
        var registry = PatchSchemaRegistry.builtIn
        registry.register(group: "example.com", kind: "Widget", path: "spec.parts", strategy: .merge(key: "id"))
        #expect(
            registry.schema(group: "example.com", kind: "Widget")?.strategy(at: ["spec", "parts"]) == .merge(key: "id")
        )
    }

    @Test func matchesTheGoldenDeploymentPatch() throws {
        let live = try patchJSON(
            #"{"spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}}"#
        )
        let result = try StrategicMergePatch.apply(
            patchJSON(#"{"spec":{"template":{"metadata":{"annotations":{"golden/patched":"true"}}}}}"#),
            to: live,
            schema: deployment
        )
        #expect(
            result[path: ["spec", "template", "metadata"]]
                == (try patchJSON(#"{"labels":{"app":"web"},"annotations":{"golden/patched":"true"}}"#))
        )
    }
}
