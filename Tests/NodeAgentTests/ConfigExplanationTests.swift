import Kubernetes
import NodeAgent
import Testing

/// The `config explain` document on the documented sample configuration.
struct ConfigExplanationTests {
    static let sample = #"""
        {"loadConcurrency":{"globalConfig":2,"prepareQueueLength":15,"perNodeConfig":[
            {"nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"node1"}},"number":3},
            {"nodeSelector":{"matchLabels":{"beta.kubernetes.io/instance-type":"Standard_B4ms"}},"number":5}]},
         "loadAffinity":[
            {"nodeSelector":{"matchLabels":{"node-type":"backup"},"matchExpressions":[{"key":"critical-workload","operator":"DoesNotExist"}]}},
            {"nodeSelector":{"matchLabels":{"environment":"staging"}},"storageClass":"fast-ssd"}],
         "podResources":{"cpuRequest":"500m","cpuLimit":"1000m","memoryRequest":"1Gi","memoryLimit":"2Gi"},
         "priorityClassName":"backup-priority",
         "backupPVC":{"fast-storage":{"storageClass":"backup-optimized-class","readOnly":true,"spcNoRelabeling":true}},
         "restorePVC":{"ignoreDelayBinding":true},
         "privilegedFsBackup":true,
         "cachePVC":{"thresholdInGB":1,"storageClass":"cache-optimized-storage"}}
        """#

    let cluster = ClusterFacts(
        nodes: [
            .init(
                name: "node1",
                labels: [
                    "kubernetes.io/hostname": "node1", "beta.kubernetes.io/instance-type": "Standard_B4ms",
                    "node-type": "backup",
                ]
            ),
            .init(
                name: "node2",
                labels: [
                    "kubernetes.io/hostname": "node2", "beta.kubernetes.io/instance-type": "Standard_B4ms",
                    "environment": "staging",
                ]
            ),
            .init(
                name: "node3",
                labels: ["kubernetes.io/hostname": "node3", "node-type": "backup", "critical-workload": "yes"]
            ),
        ],
        storageClasses: [.init(name: "fast-ssd"), .init(name: "cache-optimized-storage", reclaimPolicy: "Delete")],
        priorityClasses: ["backup-priority"]
    )

    @Test func explainsEveryNodeAndStorageClass() throws {
        let (config, warnings) = try NodeAgentConfig.load(json: Self.sample, source: "sample")
        #expect(warnings.isEmpty)
        let json = ConfigExplanation(config: config, loadWarnings: warnings, cluster: cluster).json
        #expect(json["warnings"] == [])
        #expect(
            json["loadConcurrency"] == [
                "global": 2, "prepareQueueLength": 15,
                "perNode": [
                    ["node": "node1", "number": 3, "rule": "perNodeConfig[0]"],
                    ["node": "node2", "number": 5, "rule": "perNodeConfig[1]"],
                    ["node": "node3", "number": 2, "rule": "globalConfig"],
                ],
            ]
        )
        let affinity = try #require(json["loadAffinity"]?.arrayValue)
        #expect(
            affinity.map { $0["storageClass"] ?? .null } == [
                "cache-optimized-storage", "fast-ssd", "fast-storage", nil,
            ]
        )
        #expect(affinity[1]["rule"] == "loadAffinity[1]")
        #expect(affinity[1]["admittedNodes"] == ["node2"])
        #expect(affinity[3]["rule"] == "loadAffinity[0]")
        #expect(affinity[3]["admittedNodes"] == ["node1"])
        #expect(
            affinity[3][path: ["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]
                == [
                    [
                        "matchExpressions": [
                            ["key": "node-type", "operator": "In", "values": ["backup"]],
                            ["key": "critical-workload", "operator": "DoesNotExist"],
                            ["key": "kubernetes.io/os", "operator": "NotIn", "values": ["windows"]],
                        ]
                    ]
                ]
        )
        #expect(
            json["podResources"] == [
                "requests": ["cpu": "500m", "memory": "1Gi"], "limits": ["cpu": "1", "memory": "2Gi"],
            ]
        )
        #expect(json["priorityClassName"] == "backup-priority")
        let backup = try #require(json["backupPVC"]?.arrayValue?.first { $0["sourceStorageClass"] == "fast-storage" })
        #expect(
            backup == [
                "sourceStorageClass": "fast-storage", "storageClass": "backup-optimized-class",
                "accessModes": ["ReadOnlyMany"],
                "readOnly": true, "spcNoRelabeling": true, "annotations": [:],
            ]
        )
        #expect(json["restorePVC"] == ["ignoreDelayBinding": true])
        #expect(json["privilegedFsBackup"] == true)
        #expect(
            json["cachePVC"] == [
                "storageClass": "cache-optimized-storage", "residentThresholdInMB": 1024,
                "thresholdSource": "thresholdInGB",
            ]
        )
    }

    @Test func keepsTheDocumentedKeyOrder() throws {
        let json = ConfigExplanation(config: NodeAgentConfig(), cluster: ClusterFacts()).json
        #expect(
            json.objectValue?.keys.elementsEqual([
                "warnings", "loadConcurrency", "loadAffinity", "podResources", "priorityClassName", "backupPVC",
                "restorePVC",
                "privilegedFsBackup", "cachePVC",
            ]) == true
        )
        #expect(json["loadConcurrency"]?["global"] == 1)
        #expect(json["podResources"] == .null)
        #expect(json["loadAffinity"]?[0]?["admittedNodes"] == [])
    }
}
