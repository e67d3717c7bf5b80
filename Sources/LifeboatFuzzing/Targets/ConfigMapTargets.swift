import BackupEngine
import Kubernetes
import NodeAgent

/// The ConfigMaps users write and Lifeboat reads: the node-agent configuration, a restore's resource
/// modifiers and a backup's resource policies. Each is parsed as production parses it and then used
/// (resolved against a cluster, applied to objects, matched against volumes).
enum ConfigMapTargets {
    static let yamlDictionary = [
        "&a ", "*a", "<<: *a", "---\n", "- ", ": ", "{", "}", "[", "]", "!!str ", "!!int ", "!!binary ", "? ",
        "|\n  ", ">-\n  ", "'", "\"", "#", "~", "null", "true", "0x1F", "0o17", "1e999", ".inf", ".nan", "\t",
    ]

    // MARK: node-agent ConfigMap

    static let nodeAgentConfig = FuzzTarget(
        name: "node-agent-config",
        summary: "node-agent ConfigMap data (JSON), loaded and resolved against a cluster",
        defaultRuns: 8_000,
        mutator: Mutator(
            textAware: true,
            dictionary: [
                "\"loadConcurrency\"", "\"globalConfig\"", "\"perNodeConfig\"", "\"prepareQueueLength\"",
                "\"loadAffinity\"", "\"nodeSelector\"", "\"matchLabels\"", "\"matchExpressions\"", "\"operator\"",
                "\"In\"", "\"NotIn\"", "\"Exists\"", "\"DoesNotExist\"", "\"Gt\"", "\"podResources\"", "\"cpuRequest\"",
                "\"memoryLimit\"", "\"1e3Gi\"", "\"9999999999999999999Ei\"", "\"0.000000001m\"", "\"backupPVC\"",
                "\"cachePVC\"", "\"residentThresholdInMB\"", "\"thresholdInGB\"", "\"priorityClassName\"",
            ]
        ),
        corpus: { nodeAgentSamples.map { Array($0.utf8) } },
        run: { input in
            let text = String(decoding: input, as: UTF8.self)
            let configMap: JSONValue = ["metadata": ["name": "node-agent-config"], "data": ["config": .string(text)]]
            let (config, _) = try NodeAgentConfig.load(configMap: configMap, name: "node-agent-config")
            _ = config.resolve(in: cluster)
        }
    )

    static let cluster = ClusterFacts(
        nodes: [
            .init(name: "node1", labels: ["kubernetes.io/hostname": "node1", "node-type": "backup"]),
            .init(name: "node2", labels: ["kubernetes.io/hostname": "node2", "environment": "staging"]),
        ],
        storageClasses: [.init(name: "fast-ssd"), .init(name: "cache", reclaimPolicy: "Delete")],
        priorityClasses: ["backup-priority"]
    )

    /// The documented sample (`docs/node-agent.md`, `ConfigExplanationTests`) and smaller variants.
    static let nodeAgentSamples = [
        #"""
        {"loadConcurrency":{"globalConfig":2,"prepareQueueLength":15,"perNodeConfig":[
            {"nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"node1"}},"number":3},
            {"nodeSelector":{"matchLabels":{"beta.kubernetes.io/instance-type":"Standard_B4ms"}},"number":5}]},
         "loadAffinity":[
            {"nodeSelector":{"matchLabels":{"node-type":"backup"},"matchExpressions":[
                {"key":"critical-workload","operator":"DoesNotExist"}]}},
            {"nodeSelector":{"matchLabels":{"environment":"staging"}},"storageClass":"fast-ssd"}],
         "podResources":{"cpuRequest":"500m","cpuLimit":"1000m","memoryRequest":"1Gi","memoryLimit":"2Gi"},
         "priorityClassName":"backup-priority",
         "backupPVC":{"fast-storage":{"storageClass":"backup-optimized-class","readOnly":true,"spcNoRelabeling":true}},
         "restorePVC":{"ignoreDelayBinding":true},
         "privilegedFsBackup":true,
         "cachePVC":{"thresholdInGB":1,"storageClass":"cache"},
         "podLabels":{"team":"backup"},"podAnnotations":{"a":"b"}}
        """#,
        #"{"loadConcurrency":{"globalConfig":1}}"#,
        #"{"loadAffinity":[{"nodeSelector":{"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]}}]}"#,
        #"{"podResources":{"ephemeralStorageRequest":"1Ki","ephemeralStorageLimit":"1.5Mi"},"#
            + #""cachePVC":{"residentThresholdInMB":512,"storageClass":"cache"}}"#,
    ]

    // MARK: resource modifiers

    static let resourceModifiers = FuzzTarget(
        name: "resource-modifiers",
        summary: "resource-modifier ConfigMap (YAML), parsed and applied to a PVC and a Deployment",
        defaultRuns: 6_000,
        mutator: Mutator(
            textAware: true,
            yamlAware: true,
            dictionary: yamlDictionary + [
                "resourceModifierRules:", "conditions:", "groupResource: ", "resourceNameRegex: ", "namespaces: ",
                "labelSelector:", "matches:", "patches:", "mergePatches:", "strategicPatches:", "patchData: ",
                "operation: ", "add", "remove", "replace", "copy", "move", "test", "path: ", "from: ", "value: ",
                "/spec/containers/-", "/metadata/labels/a~1b", "/spec/0", "**", "[!a-z]", "*.apps", "(a+)+$",
                "$patch: delete", "$retainKeys", "$setElementOrder/containers",
            ]
        ),
        corpus: { modifierSamples.map { Array($0.utf8) } },
        run: { input in
            let modifiers = try ResourceModifiers(
                configMapNamespace: "velero",
                configMapName: "modifiers",
                data: ["rules.yaml": String(decoding: input, as: UTF8.self)]
            )
            _ = modifiers.apply(to: claim, groupResource: "persistentvolumeclaims")
            _ = modifiers.apply(to: deployment, groupResource: "deployments.apps")
        }
    )

    static let claim: JSONValue = [
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": ["name": "mysql-data", "namespace": "foo", "labels": ["app": "db", "test": "x"]],
        "spec": ["storageClassName": "premium", "accessModes": ["ReadWriteOnce"]],
    ]

    static let deployment: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "web", "namespace": "foo", "labels": ["app": "web"]],
        "spec": [
            "replicas": 2,
            "template": [
                "metadata": ["labels": ["app": "web"]],
                "spec": ["containers": [["name": "nginx", "image": "nginx:1.27", "ports": [["containerPort": 80]]]]],
            ],
        ],
    ]

    /// Velero's documented examples (`RestoreModifiersTests`).
    static let modifierSamples = [
        """
        version: v1
        resourceModifierRules:
        - conditions:
            groupResource: persistentvolumeclaims
            resourceNameRegex: "^mysql.*$"
            namespaces: [bar, foo]
            labelSelector:
              matchLabels: {app: db}
            matches:
            - path: /spec/storageClassName
              value: premium
          patches:
          - operation: replace
            path: "/spec/storageClassName"
            value: "standard"
          - operation: remove
            path: "/metadata/labels/test"
          - operation: add
            path: "/metadata/annotations"
            value: '{"restored": "yes", "count": 3}'
          - operation: copy
            from: "/metadata/name"
            path: "/metadata/labels/copied"
          - operation: test
            path: "/spec/accessModes/0"
            value: ReadWriteOnce
        """,
        """
        version: v1
        resourceModifierRules:
        - conditions:
            groupResource: "*.apps"
          mergePatches:
          - patchData: |
              metadata:
                labels:
                  modified: "true"
        """,
        """
        version: v1
        resourceModifierRules:
        - conditions:
            groupResource: deployments.apps
          strategicPatches:
          - patchData: |
              {"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:latest"}]}}}}
        """,
    ]

    // MARK: resource policies

    static let resourcePolicies = FuzzTarget(
        name: "resource-policies",
        summary: "resource-policies ConfigMap (YAML), parsed and matched against volumes",
        defaultRuns: 6_000,
        mutator: Mutator(
            textAware: true,
            yamlAware: true,
            dictionary: yamlDictionary + [
                "volumePolicies:", "conditions:", "capacity: ", "\"10Gi,100Gi\"", "\",\"", "\"1Ei,\"", "storageClass: ",
                "nfs: ", "csi: ", "volumeTypes: ", "pvcLabels: ", "pvcPhase: ", "action:", "type: ", "skip",
                "snapshot", "fs-backup", "parameters: ", "includeExcludePolicy:", "includedNamespaceScopedResources: ",
            ]
        ),
        corpus: { policySamples.map { Array($0.utf8) } },
        run: { input in
            let configMap: JSONValue = [
                "metadata": ["name": "policies", "namespace": "velero"],
                "data": ["policy.yaml": .string(String(decoding: input, as: UTF8.self))],
            ]
            let policies = try ResourcePolicies(configMap: configMap)
            for volume in policyVolumes { _ = policies.action(for: volume) }
        }
    )

    static let policyVolumes: [PolicyVolume] = [
        PolicyVolume(),
        PolicyVolume(
            persistentVolume: [
                "spec": [
                    "capacity": ["storage": "50Gi"], "storageClassName": "gp2",
                    "csi": ["driver": "ebs.csi.aws.com", "volumeAttributes": ["type": "io1"]],
                ]
            ],
            podVolume: nil,
            claim: ["metadata": ["labels": ["tier": "db"]], "status": ["phase": "Bound"]]
        ),
        PolicyVolume(persistentVolume: nil, podVolume: ["name": "data", "nfs": ["server": "1.2.3.4"]], claim: nil),
    ]

    static let policySamples = [
        """
        version: v1
        volumePolicies:
        - conditions:
            capacity: "10Gi,100Gi"
            storageClass: [gp2, ebs-sc]
            nfs: {server: 192.168.1.20, path: /exports}
            csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: io1}}
            volumeTypes: [csi, nfs]
            pvcLabels: {tier: db}
            pvcPhase: [Bound]
          action:
            type: snapshot
            parameters: {mode: fast}
        - action: {type: skip}
        includeExcludePolicy:
          includedNamespaceScopedResources: [pods, persistentvolumeclaims]
          excludedClusterScopedResources: [nodes]
        """,
        "version: v1\nvolumePolicies:\n- action: {type: fs-backup}\n",
        "version: v1\nvolumePolicies:\n- conditions:\n    capacity: \"0,1Ki\"\n  action:\n    type: skip\n",
    ]
}
