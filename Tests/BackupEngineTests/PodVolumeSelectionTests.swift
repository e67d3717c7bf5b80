import Kubernetes
import Testing

@testable import BackupEngine

/// Velero 1.18's rules for which pod volumes get a file-system backup (cases after
/// `pkg/util/podvolume/pod_volume_test.go` and `internal/volumehelper/volume_policy_helper_test.go`).
struct PodVolumeSelectionTests {
    static func pod(
        annotations: [String: String] = [:],
        volumes: [JSONValue],
        mounted: [String]? = nil,
        phase: String = "Running",
        node: String = "node-1"
    ) -> JSONValue {
        let names = mounted ?? volumes.compactMap { $0["name"]?.stringValue }
        return [
            "metadata": [
                "name": "web", "namespace": "app",
                "annotations": annotations.reduce(into: JSONValue.object([:])) { $0[$1.key] = .string($1.value) },
            ],
            "spec": [
                "nodeName": .string(node),
                "volumes": .array(volumes),
                "containers": [
                    [
                        "name": "c",
                        "volumeMounts": .array(
                            names.map { name -> JSONValue in
                                ["name": .string(name), "mountPath": .string("/m/\(name)")]
                            }
                        ),
                    ]
                ],
            ],
            "status": ["phase": .string(phase)],
        ]
    }

    static let kinds: [JSONValue] = [
        ["name": "data", "persistentVolumeClaim": ["claimName": "data-claim"]],
        ["name": "scratch", "emptyDir": [:]],
        ["name": "host", "hostPath": ["path": "/var/log"]],
        ["name": "secret", "secret": ["secretName": "s"]],
        ["name": "config", "configMap": ["name": "c"]],
        ["name": "projected", "projected": ["sources": []]],
        ["name": "downward", "downwardAPI": ["items": []]],
        ["name": "default-token-abcde", "secret": ["secretName": "t"]],
    ]

    static let claims: [String: JSONValue] = [
        "data-claim": [
            "metadata": ["name": "data-claim", "namespace": "app", "labels": ["tier": "db"]],
            "spec": ["volumeName": "pv-1", "storageClassName": "fast"],
            "status": ["phase": "Bound"],
        ]
    ]

    static let volumes: [String: JSONValue] = [
        "pv-1": [
            "metadata": ["name": "pv-1"],
            "spec": [
                "capacity": ["storage": "5Gi"], "storageClassName": "fast",
                "csi": ["driver": "sandbox.csi.lifeboat.io", "volumeHandle": "h"],
            ],
        ]
    ]

    static func decisions(
        _ selection: PodVolumeSelection,
        _ pod: JSONValue,
        taken: Set<String> = []
    ) -> [String: PodVolumeSelection.Decision] {
        var taken = taken
        let result = selection.decide(pod: pod, claims: claims, volumes: volumes, takenClaims: &taken)
        return Dictionary(uniqueKeysWithValues: result.map { ($0.volume, $0.decision) })
    }

    @Test func optOutTakesEveryVolumeWhoseDataIsNotFromTheAPI() {
        let pod = Self.pod(volumes: Self.kinds)
        let result = Self.decisions(PodVolumeSelection(defaultVolumesToFsBackup: true), pod)
        #expect(result["data"] == .backup(claim: "data-claim"))
        #expect(result["scratch"] == .backup(claim: nil))
        for never in ["host", "secret", "config", "projected", "downward", "default-token-abcde"] {
            #expect(result[never] == .notSelected, "\(never)")
        }
    }

    @Test func optOutAnnotationExcludesAndOptInAnnotationIncludes() {
        let excluded = Self.pod(
            annotations: ["backup.velero.io/backup-volumes-excludes": "scratch,nope"],
            volumes: Array(Self.kinds.prefix(2))
        )
        let optOut = Self.decisions(PodVolumeSelection(defaultVolumesToFsBackup: true), excluded)
        #expect(optOut == ["data": .backup(claim: "data-claim"), "scratch": .notSelected])

        let optedIn = Self.pod(
            annotations: ["backup.velero.io/backup-volumes": "scratch,host"],
            volumes: Array(Self.kinds.prefix(3))
        )
        let optIn = Self.decisions(PodVolumeSelection(defaultVolumesToFsBackup: false), optedIn)
        #expect(optIn == ["data": .notSelected, "scratch": .backup(claim: nil), "host": .notSelected])
        // Without the annotation and without the default nothing is chosen.
        let none = Self.decisions(PodVolumeSelection(defaultVolumesToFsBackup: false), Self.pod(volumes: Self.kinds))
        #expect(none.values.allSatisfy { $0 == .notSelected })
    }

    @Test func excludedClaimsAreNeverChosen() {
        let pod = Self.pod(volumes: Array(Self.kinds.prefix(2)))
        let result = Self.decisions(PodVolumeSelection(defaultVolumesToFsBackup: true, excludesClaims: true), pod)
        #expect(result == ["data": .notSelected, "scratch": .backup(claim: nil)])
    }

    @Test func aPodThatIsNotRunningHasItsChosenVolumesSkippedWithVeleroMessage() {
        let pod = Self.pod(volumes: Array(Self.kinds.prefix(2)), phase: "Pending")
        let result = Self.decisions(PodVolumeSelection(defaultVolumesToFsBackup: true), pod)
        let reason =
            "encountered a problem with backing up the PVC of pod app/web: pod is not in the expected status, "
            + "name=web, namespace=app, phase=Pending: pod is not running"
        #expect(result["data"] == .skipped(reason: reason))
        let unscheduled = Self.decisions(
            PodVolumeSelection(defaultVolumesToFsBackup: true),
            Self.pod(volumes: Array(Self.kinds.prefix(1)), phase: "Pending", node: "")
        )
        guard case .skipped(let message) = unscheduled["data"] else {
            Issue.record("expected a skip, got \(String(describing: unscheduled["data"]))")
            return
        }
        #expect(message.hasSuffix("pod is not scheduled, name=web, namespace=app, phase=Pending"))
    }

    @Test func unmountedVolumesAndClaimsAlreadyBackedUpAreSkipped() {
        let pod = Self.pod(volumes: Array(Self.kinds.prefix(2)), mounted: ["data"])
        let result = Self.decisions(PodVolumeSelection(defaultVolumesToFsBackup: true), pod)
        #expect(
            result["scratch"]
                == .skipped(
                    reason: "volume scratch is declared in pod app/web but not mounted by any container, skipping"
                )
        )
        var taken: Set<String> = []
        let selection = PodVolumeSelection(defaultVolumesToFsBackup: true)
        _ = selection.decide(pod: pod, claims: Self.claims, volumes: Self.volumes, takenClaims: &taken)
        #expect(taken == ["app/data-claim"])
        let second = selection.decide(pod: pod, claims: Self.claims, volumes: Self.volumes, takenClaims: &taken)
        #expect(second.first?.decision == .claimTaken(claim: "data-claim"))
    }

    @Test func aClaimBoundToAHostPathVolumeIsSkipped() {
        var volumes = Self.volumes
        volumes["pv-1"] = ["metadata": ["name": "pv-1"], "spec": ["hostPath": ["path": "/srv"]]]
        var taken: Set<String> = []
        let result = PodVolumeSelection(defaultVolumesToFsBackup: true).decide(
            pod: Self.pod(volumes: Array(Self.kinds.prefix(1))),
            claims: Self.claims,
            volumes: volumes,
            takenClaims: &taken
        )
        guard case .skipped(let reason) = result.first?.decision else {
            Issue.record("expected a skip, got \(result)")
            return
        }
        #expect(reason.contains("is a hostPath volume"))
        #expect(taken.isEmpty)
    }

    @Test func aMatchingPolicyDecidesBeforeTheAnnotations() throws {
        let policies = try ResourcePolicies(
            yaml: """
                version: v1
                volumePolicies:
                - conditions: {storageClass: [fast], pvcLabels: {tier: db}}
                  action: {type: fs-backup}
                - conditions: {volumeTypes: [emptyDir]}
                  action: {type: skip}
                """,
            source: "test"
        )
        // Opt-in mode with no annotation: the policy still chooses the claim; the emptyDir policy says skip.
        let result = Self.decisions(
            PodVolumeSelection(defaultVolumesToFsBackup: false, policies: policies),
            Self.pod(volumes: Array(Self.kinds.prefix(2)))
        )
        #expect(result == ["data": .backup(claim: "data-claim"), "scratch": .notSelected])
        // Opt-out mode: the emptyDir's skip policy wins over the default.
        let optOut = Self.decisions(
            PodVolumeSelection(defaultVolumesToFsBackup: true, policies: policies),
            Self.pod(volumes: Array(Self.kinds.prefix(2)))
        )
        #expect(optOut["scratch"] == .notSelected)
    }
}
