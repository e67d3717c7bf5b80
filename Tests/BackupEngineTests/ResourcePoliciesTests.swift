import Kubernetes
import Testing

@testable import BackupEngine

/// Velero's resource policies: strict decoding, validation and matching (cases after
/// `internal/resourcepolicies/*_test.go` in Velero 1.18).
struct ResourcePoliciesTests {
    static func parse(_ yaml: String) throws -> ResourcePolicies {
        try ResourcePolicies(yaml: yaml, source: "policies")
    }

    static func failure(_ yaml: String) -> String {
        do {
            _ = try parse(yaml)
            return "<accepted>"
        } catch {
            return "\(error)"
        }
    }

    @Test func readsEveryConditionAndAction() throws {
        let policies = try Self.parse(
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
            """
        )
        #expect(policies.version == "v1")
        #expect(policies.volumePolicies.count == 2)
        let first = policies.volumePolicies[0]
        #expect(first.action.type == .snapshot)
        #expect(first.action.parameters?["mode"] == "fast")
        #expect(first.conditions.capacityLower == (try Quantity(parsing: "10Gi")))
        #expect(first.conditions.capacityUpper == (try Quantity(parsing: "100Gi")))
        #expect(first.conditions.storageClass == ["gp2", "ebs-sc"])
        #expect(first.conditions.nfs == .init(server: "192.168.1.20", path: "/exports"))
        #expect(first.conditions.csi == .init(driver: "ebs.csi.aws.com", volumeAttributes: ["type": "io1"]))
        #expect(first.conditions.pvcLabels == ["tier": "db"])
        #expect(first.conditions.pvcPhase == ["Bound"])
        #expect(policies.includeExcludePolicy?.excludedClusterScopedResources == ["nodes"])
        // A policy without conditions matches everything.
        #expect(policies.action(for: PolicyVolume())?.type == .skip)
    }

    @Test func readsThePolicyFromItsConfigMap() throws {
        let configMap: JSONValue = [
            "metadata": ["name": "policies", "namespace": "velero"],
            "data": ["policy.yaml": "version: v1\nvolumePolicies:\n- action: {type: fs-backup}\n"],
        ]
        #expect(try ResourcePolicies(configMap: configMap).volumePolicies.first?.action.type == .fsBackup)
        let two: JSONValue = ["metadata": ["name": "p", "namespace": "velero"], "data": ["a": "x", "b": "y"]]
        #expect(throws: BackupEngineError.self) { try ResourcePolicies(configMap: two) }
        do {
            _ = try ResourcePolicies(configMap: two)
        } catch {
            #expect(error.message.contains("resource policies ConfigMap velero/p: must have exactly one data key"))
            #expect(error.code == .invalidSpec)
        }
    }

    @Test(arguments: [
        ("version: v2\n", "incompatible version number \"v2\" with supported version v1"),
        ("version: v1\nunknown: 1\n", "unknown: field unknown not found in type ResourcePolicies"),
        (
            "version: v1\nvolumePolicies:\n- conditions: {size: 1}\n  action: {type: skip}\n",
            "volumePolicies[0].conditions.size: field size not found in type volumeConditions"
        ),
        (
            "version: v1\nvolumePolicies:\n- action: {type: backup}\n",
            "volumePolicies[0].action.type: invalid action type \"backup\""
        ),
        (
            "version: v1\nvolumePolicies:\n- conditions: {capacity: \"10Gi\"}\n  action: {type: skip}\n",
            "wrong format of Capacity \"10Gi\""
        ),
        (
            "version: v1\nvolumePolicies:\n- conditions: {capacity: \"10Gi,1Gi\"}\n  action: {type: skip}\n",
            "the upper bound 1Gi is below the lower bound 10Gi"
        ),
        (
            "version: v1\nvolumePolicies:\n- conditions: {capacity: \"ten,\"}\n  action: {type: skip}\n",
            "wrong format of Capacity \"ten\""
        ),
        (
            "version: v1\nvolumePolicies:\n- conditions: {storageClass: gp2}\n  action: {type: skip}\n",
            "volumePolicies[0].conditions.storageClass: expected a list, got the string \"gp2\""
        ),
        (
            "version: v1\nvolumePolicies:\n- conditions: {pvcLabels: [a]}\n  action: {type: skip}\n",
            "pvcLabels: must be a map of string to string"
        ),
        (
            "version: v1\nvolumePolicies:\n- conditions: {csi: {volumeAttributes: {a: b}}}\n  action: {type: skip}\n",
            "csi driver should not be empty when filtering by volume attributes"
        ),
        (
            "version: v1\nincludeExcludePolicy: {includedClusterScopedResources: ['*']}\n",
            "cannot use '*' in includes or excludes filters in the policy"
        ),
        (
            "version: v1\nincludeExcludePolicy: {includedNamespaceScopedResources: [pods], "
                + "excludedNamespaceScopedResources: [pods]}\n",
            "excludes list cannot contain an item in the includes list: pods"
        ),
        ("version: [v1\n", "policies: not valid YAML"),
    ])
    func rejectsWhatVeleroRejectsNamingTheField(yaml: String, message: String) {
        let failure = Self.failure(yaml)
        #expect(failure.contains(message), "\(failure)")
        #expect(failure.hasPrefix("policies: "), "\(failure)")
    }

    @Test func capacityBoundsAreInclusiveAndZeroIsOpen() throws {
        func matches(_ capacity: String, _ size: String) throws -> Bool {
            var conditions = ResourcePolicies.Conditions()
            (conditions.capacityLower, conditions.capacityUpper) = try ResourcePolicies.Conditions.capacity(
                capacity,
                path: "capacity"
            )
            var volume = PolicyVolume()
            volume.capacity = try Quantity(parsing: size)
            return conditions.match(volume)
        }
        #expect(try matches("10Gi,100Gi", "10Gi"))
        #expect(try matches("10Gi,100Gi", "100Gi"))
        #expect(try !matches("10Gi,100Gi", "101Gi"))
        #expect(try matches(",10Gi", "1Mi"))
        #expect(try !matches(",10Gi", "11Gi"))
        #expect(try matches("10Gi,", "1Ti"))
        #expect(try !matches("10Gi,", "1Gi"))
        #expect(try matches(",", "1Ti"))
    }

    @Test func conditionsMatchAsVeleroDoes() throws {
        let pv: JSONValue = [
            "spec": [
                "capacity": ["storage": "5Gi"], "storageClassName": "gp2",
                "csi": ["driver": "ebs.csi.aws.com", "volumeAttributes": ["type": "io1", "zone": "a"]],
            ]
        ]
        let claim: JSONValue = ["metadata": ["labels": ["tier": "db", "team": "x"]], "status": ["phase": "Bound"]]
        let volume = PolicyVolume(persistentVolume: pv, podVolume: nil, claim: claim)
        #expect(volume.volumeType == "csi")
        func action(_ conditions: String) throws -> ResourcePolicies.ActionType? {
            try Self.parse("version: v1\nvolumePolicies:\n- conditions: \(conditions)\n  action: {type: skip}\n")
                .action(for: volume)?.type
        }
        #expect(try action("{storageClass: [gp2]}") == .skip)
        #expect(try action("{storageClass: [gp3]}") == nil)
        #expect(try action("{csi: {}}") == .skip)
        #expect(try action("{csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: io1}}}") == .skip)
        #expect(try action("{csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: gp}}}") == nil)
        #expect(try action("{nfs: {}}") == nil)
        #expect(try action("{pvcLabels: {tier: db}}") == .skip)
        #expect(try action("{pvcLabels: {tier: web}}") == nil)
        #expect(try action("{pvcPhase: [Pending]}") == nil)
        #expect(try action("{volumeTypes: [nfs, csi]}") == .skip)
        #expect(try action("{capacity: \"0,1Gi\"}") == nil)

        let nfs = PolicyVolume(
            persistentVolume: nil,
            podVolume: ["name": "v", "nfs": ["server": "s1", "path": "/e"]],
            claim: nil
        )
        let policies = try Self.parse(
            "version: v1\nvolumePolicies:\n- conditions: {nfs: {server: s2}}\n  action: {type: skip}\n"
                + "- conditions: {nfs: {path: /e}}\n  action: {type: fs-backup}\n"
        )
        #expect(policies.action(for: nfs)?.type == .fsBackup)
        #expect(nfs.volumeType == "nfs")
    }
}
