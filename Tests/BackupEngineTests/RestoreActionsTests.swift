import BackupEngine
import Kubernetes
import Testing
import VeleroAPI

private func object(_ json: String) throws -> JSONValue { try JSONValue(parsing: json) }

private func run(
    _ groupResource: String,
    _ json: String,
    context: RestoreActionContext = RestoreActionContext(
        restoreName: "r1",
        backupName: "b1"
    )
) throws -> RestoreItemActionOutput {
    let backedUp = try object(json)
    let reset = try RestoreMetadata.resetMetadataAndStatus(backedUp)
    return try RestoreItemActions.run(
        groupResource: groupResource,
        item: reset,
        itemFromBackup: backedUp,
        context: context
    )
}

struct RestoreActionsTests {
    @Test func jobLosesControllerUIDLabels() throws {
        let out = try run(
            "jobs.batch",
            #"""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"n"},
             "spec":{"selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u","controller-uid":"u","app":"x"}},
             "template":{"metadata":{"labels":{"batch.kubernetes.io/controller-uid":"u","job-name":"j"}}}}}
            """#
        )
        #expect(out.item[path: ["spec", "selector", "matchLabels"]] == ["app": "x"])
        #expect(out.item[path: ["spec", "template", "metadata", "labels"]] == ["job-name": "j"])
        #expect(out.actionsRun.contains("velero.io/job"))
    }

    @Test func podIsUnscheduledLosesTokenVolumesAndNeedsItsPriorityClassAndClaims() throws {
        let out = try run(
            "pods",
            #"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"src"},
             "spec":{"nodeName":"node-1","priority":1000,"priorityClassName":"high","serviceAccountName":"sa",
              "volumes":[{"name":"sa-token-abcde","secret":{}},{"name":"data","persistentVolumeClaim":{"claimName":"c1"}},
                         {"name":"other-token-x","secret":{}},{"name":"logs","persistentVolumeClaim":{"claimName":"c2"}}],
              "containers":[{"name":"app","image":"a","volumeMounts":[{"name":"sa-token-abcde"},{"name":"data"}]}],
              "initContainers":[{"name":"init","image":"i","volumeMounts":[{"name":"sa-token-abcde"}]}]},
             "status":{"phase":"Running"}}
            """#
        )
        let spec = try #require(out.item["spec"])
        #expect(spec["nodeName"] == nil)
        #expect(spec["priority"] == nil)
        #expect(
            spec["volumes"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["data", "other-token-x", "logs"]
        )
        #expect(spec[path: ["containers"]]?[0]?["volumeMounts"] == [["name": "data"]])
        #expect(spec[path: ["initContainers"]]?[0]?["volumeMounts"] == [])
        #expect(
            out.additionalItems == [
                RestoreItemReference(groupResource: "priorityclasses.scheduling.k8s.io", name: "high"),
                RestoreItemReference(groupResource: "persistentvolumeclaims", namespace: "src", name: "c1"),
                RestoreItemReference(groupResource: "persistentvolumeclaims", namespace: "src", name: "c2"),
            ]
        )
    }

    /// Service rules: clusterIP reset unless headless; node ports kept only when explicitly declared.
    @Test(
        arguments: [
            // (spec, last-applied spec or nil, preserve, expected ports' nodePort (nil = removed), expect clusterIP kept)
            (
                #"{"type":"NodePort","clusterIP":"10.0.0.1","clusterIPs":["10.0.0.1"],"ports":[{"name":"http","port":80,"nodePort":30080},{"name":"https","port":443,"nodePort":30443}]}"#,
                #"{"spec":{"ports":[{"name":"http","port":80,"nodePort":30080},{"name":"https","port":443}]}}"#, false,
                [30080, nil], false
            ),
            (
                #"{"type":"NodePort","clusterIP":"10.0.0.1","ports":[{"port":80,"nodePort":30080},{"port":81,"nodePort":30081}]}"#,
                #"{"spec":{"ports":[{"port":81,"nodePort":30081}]}}"#, false, [nil, 30081], false
            ),
            (
                #"{"type":"NodePort","clusterIP":"10.0.0.1","ports":[{"name":"http","port":80,"nodePort":30080}]}"#,
                nil, false, [nil], false
            ),
            (
                #"{"type":"NodePort","clusterIP":"10.0.0.1","ports":[{"name":"http","port":80,"nodePort":30080}]}"#,
                nil, true, [30080], false
            ),
            (#"{"type":"ClusterIP","clusterIP":"None","ports":[{"name":"http","port":80}]}"#, nil, false, [nil], true),
            (
                #"{"type":"ExternalName","externalName":"x.example.com","ports":[{"port":80,"nodePort":30080}]}"#,
                nil, false, [30080], false
            ),
            (
                #"{"type":"NodePort","ports":[{"name":"http","port":80,"nodePort":30080}]}"#,
                #"{"spec":{"ports":[{"name":"http","port":80,"nodePort":"30080"}]}}"#, false, [30080], false
            ),
        ] as [(String, String?, Bool, [Int64?], Bool)]
    )
    func serviceAddressesAndNodePorts(
        spec: String,
        lastApplied: String?,
        preserve: Bool,
        nodePorts: [Int64?],
        keepsClusterIP: Bool
    )
        throws
    {
        var service = try object(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"n"}}"#)
        service["spec"] = try object(spec)
        if let lastApplied {
            service[path: ["metadata", "annotations"]] = [
                "kubectl.kubernetes.io/last-applied-configuration": .string(lastApplied)
            ]
        }
        let context = RestoreActionContext(restoreName: "r", backupName: "b", preserveNodePorts: preserve)
        let out = try run("services", service.jsonString, context: context)
        let ports = try #require(out.item[path: ["spec", "ports"]]?.arrayValue)
        #expect(ports.map { $0["nodePort"]?.intValue } == nodePorts)
        if keepsClusterIP {
            #expect(out.item[path: ["spec", "clusterIP"]] == "None")
        } else {
            #expect(out.item[path: ["spec", "clusterIP"]] == nil)
            #expect(out.item[path: ["spec", "clusterIPs"]] == nil)
        }
    }

    @Test func serviceNodePortsFromManagedFieldsWithoutLastApplied() throws {
        let out = try run(
            "services",
            #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"n","managedFields":[
              {"manager":"kubectl","fieldsV1":{"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{"f:nodePort":{}}}}}}]},
             "spec":{"type":"NodePort","ports":[{"port":80,"protocol":"TCP","nodePort":30080},{"port":81,"protocol":"TCP","nodePort":30081}]}}
            """#
        )
        #expect(out.item[path: ["spec", "ports"]]?.arrayValue?.map { $0["nodePort"]?.intValue } == [30080, nil])
    }

    @Test func healthCheckNodePortRule() throws {
        let base =
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"n"%@},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","healthCheckNodePort":32000,"ports":[]}}"#
        func build(_ extra: String) -> String { base.replacingAll("%@", with: extra) }
        let auto = try run("services", build(""))
        #expect(auto.item[path: ["spec", "healthCheckNodePort"]] == nil)
        let applied = try run(
            "services",
            build(
                #","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"healthCheckNodePort\":32000}}"}"#
            )
        )
        #expect(applied.item[path: ["spec", "healthCheckNodePort"]] == 32000)
        let managed = try run(
            "services",
            build(#","managedFields":[{"fieldsV1":{"f:spec":{"f:healthCheckNodePort":{}}}}]"#)
        )
        #expect(managed.item[path: ["spec", "healthCheckNodePort"]] == 32000)
    }

    @Test func serviceAccountDropsItsTokenSecret() throws {
        let out = try run(
            "serviceaccounts",
            #"""
            {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa","namespace":"n"},
             "secrets":[{"name":"sa-token-abc"},{"name":"custom"}]}
            """#
        )
        #expect(out.item["secrets"] == [["name": "custom"]])
    }

    @Test func serviceAccountMergeAddsWhatIsMissing() throws {
        let existing = try object(
            #"""
            {"kind":"ServiceAccount","metadata":{"name":"sa","labels":{"a":"cluster"},"annotations":{"x":"1"}},
             "secrets":[{"name":"sa-token-live"}],"imagePullSecrets":[{"name":"reg"}]}
            """#
        )
        let backedUp = try object(
            #"""
            {"kind":"ServiceAccount","metadata":{"name":"sa","labels":{"a":"backup","b":"backup"}},
             "secrets":[{"name":"sa-token-old"},{"name":"extra"}],"imagePullSecrets":[{"name":"reg"},{"name":"reg2"}]}
            """#
        )
        let merged = ServiceAccountRestoreAction.mergeServiceAccount(existing: existing, backedUp: backedUp)
        #expect(merged["secrets"] == [["name": "sa-token-live"], ["name": "extra"]])
        #expect(merged["imagePullSecrets"] == [["name": "reg"], ["name": "reg2"]])
        #expect(merged[path: ["metadata", "labels"]] == ["a": "cluster", "b": "backup"])
        #expect(merged[path: ["metadata", "annotations"]] == ["x": "1"])
    }

    @Test func pvcAnnotationsAreCleanedAndABoundVolumeComesFirst() throws {
        let bound = try run(
            "persistentvolumeclaims",
            #"""
            {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c","namespace":"n","annotations":{
              "pv.kubernetes.io/bind-completed":"yes","pv.kubernetes.io/bound-by-controller":"yes",
              "volume.kubernetes.io/storage-provisioner":"p","volume.beta.kubernetes.io/storage-provisioner":"p",
              "volume.kubernetes.io/selected-node":"n1","velero.io/volume-snapshot-name":"s",
              "velero.io/data-upload-name":"d","keep":"me"}},
             "spec":{"volumeName":"pv1"},"status":{"phase":"Bound"}}
            """#
        )
        #expect(bound.item[path: ["metadata", "annotations"]] == ["keep": "me"])
        #expect(bound.additionalItems == [RestoreItemReference(groupResource: "persistentvolumes", name: "pv1")])
        let pending = try run(
            "persistentvolumeclaims",
            #"""
            {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c","namespace":"n"},
             "spec":{"volumeName":"pv1"},"status":{"phase":"Pending"}}
            """#
        )
        #expect(pending.additionalItems.isEmpty)
    }

    @Test func roleBindingSubjectsFollowTheNamespaceMapping() throws {
        let json = #"""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"%@","metadata":{"name":"rb"},
             "subjects":[{"kind":"ServiceAccount","name":"sa","namespace":"src"},{"kind":"ServiceAccount","name":"o","namespace":"other"},
                         {"kind":"User","name":"u"}]}
            """#
        let context = RestoreActionContext(restoreName: "r", backupName: "b", namespaceMapping: ["src": "dst"])
        for (gr, kind) in [
            ("rolebindings.rbac.authorization.k8s.io", "RoleBinding"),
            ("clusterrolebindings.rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ] {
            let out = try run(gr, json.replacingAll("%@", with: kind), context: context)
            let namespaces = out.item["subjects"]?.arrayValue?.map { $0["namespace"]?.stringValue }
            #expect(namespaces == ["dst", "other", nil])
        }
    }

    @Test func storageClassIsChangedWhenTheTargetExists() throws {
        var context = RestoreActionContext(
            restoreName: "r",
            backupName: "b",
            storageClassMapping: ["gp2": "gp3", "old": "missing"],
            existingStorageClasses: ["gp3"]
        )
        let pvc = try run(
            "persistentvolumeclaims",
            #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c","namespace":"n"},"spec":{"storageClassName":"gp2"}}"#,
            context: context
        )
        #expect(pvc.item[path: ["spec", "storageClassName"]] == "gp3")
        let pv = try run(
            "persistentvolumes",
            #"{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv"},"spec":{"storageClassName":"other"}}"#,
            context: context
        )
        #expect(pv.item[path: ["spec", "storageClassName"]] == "other")
        let sts = try run(
            "statefulsets.apps",
            #"""
            {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s","namespace":"n"},
             "spec":{"volumeClaimTemplates":[{"metadata":{"name":"d"},"spec":{"storageClassName":"gp2"}},{"metadata":{"name":"e"},"spec":{}}]}}
            """#,
            context: context
        )
        #expect(sts.item[path: ["spec", "volumeClaimTemplates"]]?[0]?[path: ["spec", "storageClassName"]] == "gp3")
        #expect(sts.item[path: ["spec", "volumeClaimTemplates"]]?[1]?[path: ["spec", "storageClassName"]] == nil)
        let error = #expect(throws: BackupEngineError.self) {
            _ = try run(
                "persistentvolumeclaims",
                #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c","namespace":"n"},"spec":{"storageClassName":"old"}}"#,
                context: context
            )
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.message.contains("missing") == true)
        #expect(error?.message.contains("persistentvolumeclaims/n/c") == true)
        context.storageClassMapping = nil
        let untouched = try run(
            "persistentvolumeclaims",
            #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c","namespace":"n"},"spec":{"storageClassName":"gp2"}}"#,
            context: context
        )
        #expect(untouched.item[path: ["spec", "storageClassName"]] == "gp2")
    }

    @Test(arguments: [
        ("Deployment", "deployments.apps", ["spec", "template", "spec"]),
        ("CronJob", "cronjobs.batch", ["spec", "jobTemplate", "spec", "template", "spec"]),
        ("Pod", "pods", ["spec"]),
    ])
    func imageNamesAreRewritten(kind: String, groupResource: String, podSpec: [String]) throws {
        var item = try object(#"{"apiVersion":"x/v1","metadata":{"name":"w","namespace":"n"}}"#)
        item["kind"] = .string(kind)
        item[path: podSpec] = [
            "containers": [["name": "a", "image": "1.1.1.1:5000/abc:test"], ["name": "b", "image": "nginx:1.25"]],
            "initContainers": [["name": "i", "image": "busybox:1.0"]],
        ]
        let context = RestoreActionContext(
            restoreName: "r",
            backupName: "b",
            imageNameMapping: [
                "case1": "1.1.1.1:5000,2.2.2.2:3000", "case2": "busybox:1.0 , busybox:2.0", "bad": "noseparator",
            ]
        )
        let out = try run(groupResource, item.jsonString, context: context)
        let spec = try #require(out.item[path: podSpec])
        #expect(spec["containers"]?[0]?["image"] == "2.2.2.2:3000/abc:test")
        #expect(spec["containers"]?[1]?["image"] == "nginx:1.25")
        #expect(spec["initContainers"]?[0]?["image"] == "busybox:2.0")
    }

    @Test func automanagedAPIServicesAndDataUploadsAreSkipped() throws {
        let managed = try run(
            "apiservices.apiregistration.k8s.io",
            #"""
            {"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"v1.apps","labels":{"kube-aggregator.kubernetes.io/automanaged":"onstart"}}}
            """#
        )
        #expect(managed.skipRestore)
        let custom = try run(
            "apiservices.apiregistration.k8s.io",
            #"""
            {"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"v1.metrics"}}
            """#
        )
        #expect(!custom.skipRestore)
        let upload = try run(
            "datauploads.velero.io",
            #"{"apiVersion":"velero.io/v2alpha1","kind":"DataUpload","metadata":{"name":"du","namespace":"velero"}}"#
        )
        #expect(upload.skipRestore)
        #expect(upload.warnings.count == 1)
    }

    @Test func webhookSideEffectsAreFixedForV1Only() throws {
        let json = #"""
            {"apiVersion":"%@","kind":"ValidatingWebhookConfiguration","metadata":{"name":"w"},
             "webhooks":[{"name":"a","sideEffects":"Unknown"},{"name":"b","sideEffects":"NoneOnDryRun"},{"name":"c"}]}
            """#
        let gr = "validatingwebhookconfigurations.admissionregistration.k8s.io"
        let v1 = try run(gr, json.replacingAll("%@", with: "admissionregistration.k8s.io/v1"))
        #expect(v1.item["webhooks"]?.arrayValue?.map { $0["sideEffects"] } == ["None", "NoneOnDryRun", "None"])
        let beta = try run(gr, json.replacingAll("%@", with: "admissionregistration.k8s.io/v1beta1"))
        #expect(beta.item["webhooks"]?[0]?["sideEffects"] == "Unknown")
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
