import Foundation
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
            image: "velero/velero:v1.17",
            serviceAccountName: "velero",
            env: [["name": "AWS_REGION", "value": "x"]],
            labels: ["inherited": "yes"],
            annotations: ["note": "n"]
        )
        return ExposerBuilder(config: resolved, template: template)
    }

    let owner = LoadReference(kind: .dataUpload, name: "backup-1-abcde", namespace: "velero", uid: "1111-2222")

    @Test func buildsTheBackupPVCFromTheBackupPVCConfig() throws {
        let params = ExposerBuilder.BackupParameters(
            owner: owner,
            sourceStorageClass: "fast",
            size: try Quantity(parsing: "1.5Gi")
        )
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
        #expect(
            pvc["spec"]?["dataSource"] == [
                "apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "backup-1-abcde",
            ]
        )
        #expect(pvc["spec"]?["resources"]?["requests"]?["storage"] == "1536Mi")
        // A source class without a backupPVC entry keeps its own class and ReadWriteOnce.
        let plain = try builder().backupPVC(.init(owner: owner, sourceStorageClass: "slow", size: Quantity(1 << 30)))
        #expect(plain["spec"]?["accessModes"] == ["ReadWriteOnce"])
        #expect(plain["spec"]?["storageClassName"] == "slow")
    }

    @Test func buildsTheBackupPodLikeVelero() throws {
        let params = ExposerBuilder.BackupParameters(
            owner: owner,
            sourceStorageClass: "fast",
            size: Quantity(1 << 30),
            operationTimeout: "4h0m0s"
        )
        let pod = try builder().backupPod(params)
        #expect(pod["metadata"]?["name"] == "backup-1-abcde")
        #expect(
            pod["metadata"]?["labels"] == [
                "inherited": "yes", "velero.io/data-upload": "backup-1-abcde",
                "velero.io/exposer-pod-group": "snapshot-exposer",
            ]
        )
        #expect(pod["metadata"]?["annotations"] == ["note": "n"])
        let spec = try #require(pod["spec"])
        #expect(spec["restartPolicy"] == "Never")
        #expect(spec["terminationGracePeriodSeconds"] == 0)
        #expect(spec["priorityClassName"] == "low")
        #expect(spec["serviceAccountName"] == "velero")
        #expect(spec["securityContext"] == ["runAsUser": 0, "seLinuxOptions": ["type": "spc_t"]])
        #expect(
            spec["topologySpreadConstraints"]?[0] == [
                "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": ["matchLabels": ["velero.io/exposer-pod-group": "snapshot-exposer"]],
            ]
        )
        // Load affinity is chosen by the backup PVC's storage class (backup-ro), plus the Linux requirement.
        #expect(
            spec[path: [
                "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
            ]] == [
                [
                    "matchExpressions": [
                        ["key": "node-type", "operator": "In", "values": ["backup"]],
                        ["key": "kubernetes.io/os", "operator": "NotIn", "values": ["windows"]],
                    ]
                ]
            ]
        )
        let container = try #require(spec["containers"]?[0])
        #expect(container["name"] == "1111-2222")
        #expect(container["image"] == "velero/velero:v1.17")
        #expect(container["imagePullPolicy"] == "Never")
        #expect(container["command"] == ["/velero", "data-mover", "backup"])
        #expect(
            container["args"] == [
                "--volume-path=/1111-2222", "--volume-mode=Filesystem",
                "--data-upload=backup-1-abcde", "--resource-timeout=4h0m0s", "--log-format=text", "--log-level=info",
            ]
        )
        #expect(container["volumeMounts"] == [["name": "1111-2222", "mountPath": "/1111-2222", "readOnly": true]])
        #expect(
            container["resources"] == [
                "limits": ["cpu": "1", "memory": "2Gi"], "requests": ["cpu": "500m", "memory": "1Gi"],
            ]
        )
        #expect(container["env"] == [["name": "AWS_REGION", "value": "x"]])
        #expect(
            spec["volumes"] == [
                ["name": "1111-2222", "persistentVolumeClaim": ["claimName": "backup-1-abcde", "readOnly": true]]
            ]
        )
    }

    @Test func podLabelsReplaceTheInheritedOnes() throws {
        let pod = try builder(podLabels: true).backupPod(
            .init(owner: owner, sourceStorageClass: "slow", size: Quantity(1))
        )
        #expect(
            pod["metadata"]?["labels"] == [
                "team": "storage", "velero.io/data-upload": "backup-1-abcde",
                "velero.io/exposer-pod-group": "snapshot-exposer",
            ]
        )
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

    @Test func cacheVolumeFollowsVelerosSizeRules() throws {
        let b = try builder()
        // Unknown size (0) gets a cache volume, as in Velero's getCacheVolumeSize; a zero limit gives none.
        #expect(b.needsCacheVolume(dataSize: 0))
        #expect(!b.needsCacheVolume(dataSize: 2 << 30, cacheLimitBytes: 0))
        #expect(ExposerBuilder.cacheVolumeSize(cacheLimitBytes: (5 << 30) / 6).description == "1Gi")
        let dd = LoadReference(kind: .dataDownload, name: "dd", namespace: "velero", uid: "u")
        let cache = try #require(b.cachePVC(owner: dd, cacheLimitBytes: 1 << 30, selectedNode: "n1"))
        #expect(cache["metadata"]?["name"] == "dd-cache")
        #expect(cache["metadata"]?["annotations"] == ["volume.kubernetes.io/selected-node": "n1"])
        // Without cachePVC in the configuration there is none.
        let plain = ExposerBuilder(
            config: try NodeAgentConfig.load(json: "{}", source: "test").config.resolve(in: ClusterFacts()),
            template: DataMoverPodTemplate(image: "i")
        )
        #expect(!plain.needsCacheVolume(dataSize: 10 << 30))
        #expect(plain.cachePVC(owner: dd, cacheLimitBytes: 1 << 30) == nil)
    }

    @Test func theRestorePodMountsTheCacheVolume() throws {
        let dd = LoadReference(kind: .dataDownload, name: "dd", namespace: "velero", uid: "4444")
        let b = try builder()
        let with = b.restorePod(
            .init(owner: dd, targetStorageClass: "fast", size: Quantity(1 << 30), cacheClaimName: "dd-cache")
        )
        let container = try #require(with["spec"]?["containers"]?[0])
        #expect(
            container["volumeMounts"] == [
                ["name": "4444", "mountPath": "/4444"], ["name": "cachedir", "mountPath": "/cachedir"],
            ]
        )
        #expect(
            with["spec"]?["volumes"] == [
                ["name": "4444", "persistentVolumeClaim": ["claimName": "dd"]],
                ["name": "cachedir", "persistentVolumeClaim": ["claimName": "dd-cache"]],
            ]
        )
        #expect(container["args"]?.arrayValue?.contains("--cache-volume-path=/cachedir") == true)
        let without = b.restorePod(.init(owner: dd, targetStorageClass: "fast", size: Quantity(1 << 30)))
        #expect(without["spec"]?["containers"]?[0]?["args"]?.arrayValue?.contains("--cache-volume-path=") == true)
        #expect(without["spec"]?["volumes"]?.arrayValue?.count == 1)
    }

    @Test(arguments: [false, true])
    func buildsTheFileSystemHostingPodLikeVelero(privileged: Bool) throws {
        var config = try NodeAgentConfig.load(
            json: #"{"podResources":{"cpuRequest":"1","cpuLimit":"2","memoryRequest":"1Gi","memoryLimit":"2Gi"}}"#,
            source: "test"
        ).config
        config.privilegedFsBackup = privileged
        let template = DataMoverPodTemplate(image: "velero/velero:v1.17", labels: ["inherited": "yes"])
        let b = ExposerBuilder(config: config.resolve(in: ClusterFacts()), template: template)
        let pvb = LoadReference(kind: .podVolumeBackup, name: "pvb-1", namespace: "velero", uid: "5555")
        let path = "/var/lib/kubelet/pods/abc/volumes/kubernetes.io~csi/pv-1/mount"
        let pod = b.podVolumePod(.init(owner: pvb, node: "n2", hostPath: path))
        // Velero labels the pod with its PVB only (plus inherited labels): no exposer pod group.
        #expect(pod["metadata"]?["labels"] == ["inherited": "yes", "velero.io/pod-volume-backup": "pvb-1"])
        #expect(pod["metadata"]?["ownerReferences"]?[0]?["kind"] == "PodVolumeBackup")
        #expect(pod["metadata"]?["ownerReferences"]?[0]?["apiVersion"] == "velero.io/v1")
        let spec = try #require(pod["spec"])
        #expect(spec["nodeName"] == "n2")
        #expect(spec["securityContext"] == ["runAsUser": 0])
        #expect(spec["volumes"] == [["name": "5555", "hostPath": ["path": .string(path)]]])
        let container = try #require(spec["containers"]?[0])
        #expect(container["command"] == ["/velero", "pod-volume", "backup"])
        #expect(
            container["args"] == [
                "--volume-path=/5555", "--resource-timeout=10m0s", "--pod-volume-backup=pvb-1", "--log-format=text",
                "--log-level=info",
            ]
        )
        #expect(
            container["volumeMounts"] == [
                ["name": "5555", "mountPath": "/5555", "mountPropagation": "HostToContainer"]
            ]
        )
        #expect(container["securityContext"] == ["privileged": .bool(privileged)])
        #expect(container["resources"]?["limits"]?["cpu"] == "2")

        let pvr = LoadReference(kind: .podVolumeRestore, name: "pvr-1", namespace: "velero", uid: "6666")
        let restore = b.podVolumePod(.init(owner: pvr, node: "n2", hostPath: path, cacheClaimName: "pvr-1-cache"))
        #expect(restore["metadata"]?["labels"]?["velero.io/pod-volume-restore"] == "pvr-1")
        #expect(restore["spec"]?["containers"]?[0]?["command"] == ["/velero", "pod-volume", "restore"])
        let restoreArgs = restore["spec"]?["containers"]?[0]?["args"]?.arrayValue ?? []
        #expect(
            Array(restoreArgs.prefix(4)) == [
                "--volume-path=/6666", "--resource-timeout=10m0s", "--pod-volume-restore=pvr-1",
                "--cache-volume-path=/cachedir",
            ]
        )
        #expect(
            restore["spec"]?["volumes"]?[1] == [
                "name": "cachedir", "persistentVolumeClaim": ["claimName": "pvr-1-cache"],
            ]
        )
    }

    @Test func findsThePodVolumeDirectoryAsTheKubeletNamesIt() throws {
        let claimed: JSONValue = ["name": "data", "persistentVolumeClaim": ["claimName": "data"]]
        func pv(_ spec: JSONValue, annotations: JSONValue = [:]) -> JSONValue {
            ["metadata": ["name": "pv-9", "annotations": annotations], "spec": spec]
        }
        func directory(
            _ volume: JSONValue,
            _ pv: JSONValue?,
            drivers: [String] = []
        ) -> ExposerBuilder.PodVolumeDirectory? {
            ExposerBuilder.podVolumeDirectory(volume: volume, persistentVolume: pv, csiDrivers: drivers)
        }
        let csi = ExposerBuilder.PodVolumeDirectory(directory: "pv-9/mount", block: false)
        #expect(directory(claimed, pv(["csi": ["driver": "ebs.csi.aws.com"]])) == csi)
        #expect(csi.glob(hostPods: "/host_pods", podUID: "u1") == "/host_pods/u1/volumes/*/pv-9/mount")
        // A PV without spec.csi is CSI when an annotation names one of the cluster's CSI drivers.
        let migrated = pv(
            ["awsElasticBlockStore": ["volumeID": "vol-1"]],
            annotations: ["pv.kubernetes.io/migrated-to": "ebs.csi.aws.com"]
        )
        #expect(directory(claimed, migrated, drivers: ["ebs.csi.aws.com"]) == csi)
        #expect(directory(claimed, migrated, drivers: ["other"]) == .init(directory: "pv-9", block: false))
        let provisioned = pv(
            ["nfs": ["server": "n"]],
            annotations: ["pv.kubernetes.io/provisioned-by": "nfs.csi.k8s.io"]
        )
        #expect(directory(claimed, provisioned, drivers: ["nfs.csi.k8s.io"]) == csi)
        #expect(directory(claimed, pv(["hostPath": ["path": "/data"]])) == .init(directory: "pv-9", block: false))
        // A block volume is a device under volumeDevices, without /mount.
        let block = try #require(directory(claimed, pv(["csi": ["driver": "d"], "volumeMode": "Block"])))
        #expect(block == .init(directory: "pv-9", block: true))
        #expect(block.glob(hostPods: "/h", podUID: "u1") == "/h/u1/volumeDevices/*/pv-9")
        #expect(directory(claimed, nil) == nil)
        #expect(directory(["name": "scratch", "emptyDir": [:]], nil) == .init(directory: "scratch", block: false))
        #expect(
            directory(["name": "inline", "csi": ["driver": "d"]], nil) == .init(directory: "inline/mount", block: false)
        )
    }

    @Test func searchesTheNodeForExactlyOneVolumeDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "lifeboat-host-pods-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let location = ExposerBuilder.PodVolumeDirectory(directory: "pv-9/mount", block: false)
        func match() throws -> String {
            try ExposerBuilder.singlePathMatch(location, hostPods: root.path, podUID: "u1")
        }
        #expect(throws: NodeAgentError.self) { try match() }  // no pod directory at all
        let volumes = root.appendingPathComponent("u1/volumes")
        try fm.createDirectory(
            at: volumes.appendingPathComponent("kubernetes.io~csi/pv-9"),
            withIntermediateDirectories: true
        )
        // The mount point is a symlink here (as in the sandbox): like Go's Glob, it counts without being followed.
        try fm.createSymbolicLink(
            atPath: volumes.appendingPathComponent("kubernetes.io~csi/pv-9/mount").path,
            withDestinationPath: "/nonexistent"
        )
        #expect(try match() == volumes.appendingPathComponent("kubernetes.io~csi/pv-9/mount").path)
        try fm.createDirectory(
            at: volumes.appendingPathComponent("kubernetes.io~nfs/pv-9/mount"),
            withIntermediateDirectories: true
        )
        do {
            _ = try match()
            Issue.record("two matches must be an error")
        } catch let error as NodeAgentError {
            #expect(error.message == "expected one matching path: \(root.path)/u1/volumes/*/pv-9/mount, got 2")
        }
        #expect(
            ExposerBuilder.nodePath(of: "/host_pods/u1/volumes/x", hostPods: "/host_pods", nodePods: "/var/lib/k/pods")
                == "/var/lib/k/pods/u1/volumes/x"
        )
        #expect(
            ExposerBuilder.nodePath(of: "/host_pods/u1/volumes/x", hostPods: "/host_pods", nodePods: nil)
                == "/host_pods/u1/volumes/x"
        )
    }

    @Test func inheritsOnlyThirdPartyLabelsAnnotationsAndTolerationsFromTheDaemonSet() throws {
        let daemonSet: JSONValue = [
            "spec": [
                "template": [
                    "metadata": [
                        "labels": [
                            "name": "node-agent", "role": "node-agent", "team": "ops",
                            "azure.workload.identity/use": "true",
                        ],
                        "annotations": ["iam.amazonaws.com/role": "backup", "prometheus.io/scrape": "true"],
                    ],
                    "spec": [
                        "serviceAccountName": "velero-sa",
                        "tolerations": [
                            ["key": "CriticalAddonsOnly", "operator": "Exists"],
                            ["key": "dedicated", "operator": "Equal", "value": "backup", "effect": "NoSchedule"],
                            [
                                "key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot",
                                "effect": "NoSchedule",
                            ],
                        ],
                        "volumes": [["name": "host-pods", "hostPath": ["path": "/var/lib/kubelet/pods"]]],
                        "containers": [
                            [
                                "name": "node-agent", "image": "velero/velero:v1.17.0",
                                "env": [["name": "A", "value": "1"]],
                            ]
                        ],
                    ],
                ]
            ]
        ]
        let template = try #require(DataMoverPodTemplate(nodeAgentDaemonSet: daemonSet))
        #expect(template.image == "velero/velero:v1.17.0")
        #expect(template.serviceAccountName == "velero-sa")
        #expect(template.labels == ["azure.workload.identity/use": "true"])
        #expect(template.annotations == ["iam.amazonaws.com/role": "backup"])
        #expect(
            template.tolerations == [
                [
                    "key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot",
                    "effect": "NoSchedule",
                ],
                ["key": "CriticalAddonsOnly", "operator": "Exists"],
            ]
        )
        #expect(template.nodePodsPath == "/var/lib/kubelet/pods")
        #expect(DataMoverPodTemplate(nodeAgentDaemonSet: ["spec": [:]]) == nil)

        // Every hosting pod carries them; podLabels replace the inherited labels, not the tolerations.
        let b = ExposerBuilder(
            config: try NodeAgentConfig.load(json: "{}", source: "t").config.resolve(in: ClusterFacts()),
            template: template
        )
        let pod = b.backupPod(.init(owner: owner, sourceStorageClass: "fast", size: Quantity(1 << 30)))
        #expect(pod["spec"]?["tolerations"]?.arrayValue == template.tolerations)
        #expect(pod["metadata"]?["labels"]?["azure.workload.identity/use"] == "true")
        #expect(pod["metadata"]?["labels"]?["team"] == nil)
        #expect(pod["metadata"]?["annotations"] == ["iam.amazonaws.com/role": "backup"])
        var labelled = try NodeAgentConfig.load(json: "{}", source: "t").config
        labelled.podLabels = ["tier": "backup"]
        let relabelled = ExposerBuilder(config: labelled.resolve(in: ClusterFacts()), template: template)
            .backupPod(.init(owner: owner, sourceStorageClass: "fast", size: Quantity(1 << 30)))
        #expect(relabelled["metadata"]?["labels"]?["azure.workload.identity/use"] == nil)
        #expect(relabelled["metadata"]?["labels"]?["tier"] == "backup")
        #expect(relabelled["spec"]?["tolerations"]?.arrayValue == template.tolerations)
    }
}
