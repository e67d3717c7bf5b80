import Kubernetes
import NodeAgent
import Testing

/// Exposer objects compared field by field with what reference/velero.md §8.4 says Velero builds.
struct ExposerBuilderTests {
    static let configJSON = #"""
        {"loadAffinity":[{"nodeSelector":{"matchLabels":{"node-type":"backup"}},"storageClass":"backup-ro"}],
         "podResources":{"cpuRequest":"500m","cpuLimit":"1","memoryRequest":"1Gi","memoryLimit":"2Gi"},
         "priorityClassName":"low",
         "backupPVC":{"fast":{"storageClass":"backup-ro","readOnly":true,"spcNoRelabeling":true,"annotations":{"a":"1"}}},
         "cachePVC":{"storageClass":"cache","residentThresholdInMB":1024}}
        """#

    func builder(podLabels: Bool = false) throws -> ExposerBuilder {
        var config = try NodeAgentConfig.load(json: Self.configJSON, source: "test").config
        if podLabels { config.podLabels = ["team": "storage"] }
        let resolved = config.resolve(in: ClusterFacts(priorityClasses: ["low"]))
        let template = DataMoverPodTemplate(
            image: "velero/velero:v1.17", serviceAccountName: "velero", env: [["name": "AWS_REGION", "value": "x"]],
            labels: ["inherited": "yes"], annotations: ["note": "n"])
        return ExposerBuilder(config: resolved, template: template)
    }

    let owner = LoadReference(kind: .dataUpload, name: "backup-1-abcde", namespace: "velero", uid: "1111-2222")

    @Test func buildsTheBackupPVCFromTheBackupPVCConfig() throws {
        let params = ExposerBuilder.BackupParameters(owner: owner, sourceStorageClass: "fast", size: try Quantity(parsing: "1.5Gi"))
        let pvc = try builder().backupPVC(params)
        #expect(pvc["metadata"]?["name"] == "backup-1-abcde")
        #expect(pvc["metadata"]?["namespace"] == "velero")
        #expect(pvc["metadata"]?["annotations"] == ["a": "1"])
        let ref = pvc["metadata"]?["ownerReferences"]?[0]
        #expect(ref?["kind"] == "DataUpload")
        #expect(ref?["apiVersion"] == "velero.io/v2alpha1")
        #expect(ref?["uid"] == "1111-2222")
        #expect(ref?["controller"] == true)
        #expect(pvc["spec"]?["accessModes"] == ["ReadOnlyMany"])
        #expect(pvc["spec"]?["storageClassName"] == "backup-ro")
        #expect(pvc["spec"]?["volumeMode"] == "Filesystem")
        #expect(pvc["spec"]?["dataSource"] == ["apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "backup-1-abcde"])
        #expect(pvc["spec"]?["resources"]?["requests"]?["storage"] == "1536Mi")
        // A source class without a backupPVC entry keeps its own class and ReadWriteOnce.
        let plain = try builder().backupPVC(.init(owner: owner, sourceStorageClass: "slow", size: Quantity(1 << 30)))
        #expect(plain["spec"]?["accessModes"] == ["ReadWriteOnce"])
        #expect(plain["spec"]?["storageClassName"] == "slow")
    }

    @Test func buildsTheBackupPodLikeVelero() throws {
        let params = ExposerBuilder.BackupParameters(
            owner: owner, sourceStorageClass: "fast", size: Quantity(1 << 30), operationTimeout: "4h0m0s")
        let pod = try builder().backupPod(params)
        #expect(pod["metadata"]?["name"] == "backup-1-abcde")
        #expect(pod["metadata"]?["labels"] == ["inherited": "yes", "velero.io/data-upload": "backup-1-abcde", "velero.io/exposer-pod-group": "snapshot-exposer"])
        #expect(pod["metadata"]?["annotations"] == ["note": "n"])
        let spec = try #require(pod["spec"])
        #expect(spec["restartPolicy"] == "Never")
        #expect(spec["terminationGracePeriodSeconds"] == 0)
        #expect(spec["priorityClassName"] == "low")
        #expect(spec["serviceAccountName"] == "velero")
        #expect(spec["securityContext"] == ["runAsUser": 0, "seLinuxOptions": ["type": "spc_t"]])
        #expect(spec["topologySpreadConstraints"]?[0] == [
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": ["matchLabels": ["velero.io/exposer-pod-group": "snapshot-exposer"]],
        ])
        // Load affinity is chosen by the backup PVC's storage class (backup-ro), plus the Linux requirement.
        #expect(spec[path: ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]] == [
            ["matchExpressions": [
                ["key": "node-type", "operator": "In", "values": ["backup"]],
                ["key": "kubernetes.io/os", "operator": "NotIn", "values": ["windows"]],
            ]]
        ])
        let container = try #require(spec["containers"]?[0])
        #expect(container["name"] == "1111-2222")
        #expect(container["image"] == "velero/velero:v1.17")
        #expect(container["imagePullPolicy"] == "Never")
        #expect(container["command"] == [
            "/velero", "data-mover", "backup", "--volume-path=/1111-2222", "--volume-mode=Filesystem",
            "--data-upload=backup-1-abcde", "--resource-timeout=4h0m0s", "--log-level=info", "--log-format=text",
        ])
        #expect(container["volumeMounts"] == [["name": "1111-2222", "mountPath": "/1111-2222", "readOnly": true]])
        #expect(container["resources"] == ["limits": ["cpu": "1", "memory": "2Gi"], "requests": ["cpu": "500m", "memory": "1Gi"]])
        #expect(container["env"] == [["name": "AWS_REGION", "value": "x"]])
        #expect(spec["volumes"] == [["name": "1111-2222", "persistentVolumeClaim": ["claimName": "backup-1-abcde", "readOnly": true]]])
    }

    @Test func podLabelsReplaceTheInheritedOnes() throws {
        let pod = try builder(podLabels: true).backupPod(.init(owner: owner, sourceStorageClass: "slow", size: Quantity(1)))
        #expect(pod["metadata"]?["labels"] == ["team": "storage", "velero.io/data-upload": "backup-1-abcde", "velero.io/exposer-pod-group": "snapshot-exposer"])
        // A read-write backup PVC gets no spc_t, and volume topology terms each get the requirements.
        #expect(pod["spec"]?["securityContext"] == ["runAsUser": 0])
    }

    @Test func appendsLoadAffinityToEveryTopologyTerm() throws {
        let topology = NodeAffinity(terms: [
            [.init(key: "zone", operator: "In", values: ["a"])], [.init(key: "zone", operator: "In", values: ["b"])],
        ])
        let affinity = try builder().config.nodeAffinity(forStorageClass: "backup-ro", volumeTopology: topology)
        #expect(affinity?.terms.count == 2)
        #expect(affinity?.terms.allSatisfy { $0.count == 3 && $0[1].key == "node-type" } == true)
        #expect(affinity?.admits(["zone": "b", "node-type": "backup"]) == true)
        #expect(affinity?.admits(["zone": "b", "node-type": "backup", "kubernetes.io/os": "windows"]) == false)
        #expect(affinity?.admits(["zone": "c", "node-type": "backup"]) == false)
    }

    @Test func buildsTheRestoreObjectsAndTheCacheVolume() throws {
        let dd = LoadReference(kind: .dataDownload, name: "restore-1-xyz", namespace: "velero", uid: "3333")
        let b = try builder()
        let params = ExposerBuilder.RestoreParameters(owner: dd, targetStorageClass: "fast", size: Quantity(1 << 30))
        let pod = b.restorePod(params)
        #expect(pod["metadata"]?["labels"]?["velero.io/exposer-pod-group"] == "generic-restore-exposer")
        #expect(pod["metadata"]?["labels"]?["velero.io/data-download"] == "restore-1-xyz")
        #expect(pod["spec"]?["containers"]?[0]?["command"]?[2] == "restore")
        #expect(pod["spec"]?["securityContext"] == ["runAsUser": 0])
        let pvc = b.restorePVC(params)
        #expect(pvc["spec"]?["accessModes"] == ["ReadWriteOnce"])
        #expect(pvc["spec"]?["storageClassName"] == "fast")
        #expect(pvc["metadata"]?["ownerReferences"]?[0]?["kind"] == "DataDownload")

        #expect(!b.needsCacheVolume(dataSize: (1024 << 20) - 1))
        #expect(b.needsCacheVolume(dataSize: 1024 << 20))
        #expect(ExposerBuilder.cacheVolumeSize(cacheLimitBytes: 5 << 30).description == "6Gi")
        #expect(ExposerBuilder.cacheVolumeSize(cacheLimitBytes: 1 << 30).description == "2Gi")
        let cache = try #require(b.cachePVC(owner: dd, cacheLimitBytes: 5 << 30))
        #expect(cache["spec"]?["storageClassName"] == "cache")
        #expect(cache["spec"]?["resources"]?["requests"]?["storage"] == "6Gi")
    }
}
