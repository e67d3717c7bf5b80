import Foundation
import Kubernetes
import Testing
import VeleroAPI

@testable import BackupEngine

/// `velero.io/pod-volume-restore` on its own: the `restore-wait` init container's shape and which volumes it mounts.
struct PodVolumeRestoreActionTests {
    static func run(
        _ pod: JSONValue,
        backups: [PodVolumeBackup],
        container: RestoreWaitContainer = .init()
    ) throws -> JSONValue {
        let context = RestoreActionContext(
            restoreName: "r1",
            backupName: "b1",
            podVolumes: PodVolumeRestoreContext(
                backups: BackupPodVolumes(backups),
                restoreUID: "uid-1",
                container: container
            )
        )
        let reset = try RestoreMetadata.resetMetadataAndStatus(pod)
        return try RestoreItemActions.run(groupResource: "pods", item: reset, itemFromBackup: pod, context: context)
            .item
    }

    @Test func restoreWaitComesFirstWithVeleroShape() throws {
        let pod = PodVolumeFixtures.pod("web", "shop", volumes: ["data", "logs", "settings"], configMaps: ["settings"])
        let item = try Self.run(
            pod,
            backups: [
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "logs", snapshot: "bbbb"),
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "data", snapshot: "aaaa"),
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "other", volume: "data", snapshot: "cccc"),
            ]
        )
        let initContainers = try #require(item[path: ["spec", "initContainers"]]?.arrayValue)
        // The stale restore-wait of the backed-up pod is replaced, not kept next to the new one.
        #expect(initContainers.count == 1)
        let wait = initContainers[0]
        #expect(wait["name"] == "restore-wait")
        #expect(wait["image"] == "ghcr.io/lifeboat/lifeboat")
        #expect(wait["command"] == ["/lifeboat", "restore-helper"])
        #expect(wait["args"] == ["uid-1"])
        #expect(
            wait["volumeMounts"] == [
                ["name": "data", "mountPath": "/restores/data"], ["name": "logs", "mountPath": "/restores/logs"],
            ]
        )
        #expect(
            wait["env"] == [
                ["name": "POD_NAMESPACE", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
                ["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
            ]
        )
        #expect(
            wait["resources"] == [
                "requests": ["cpu": "100m", "memory": "128Mi"], "limits": ["cpu": "100m", "memory": "128Mi"],
            ]
        )
        #expect(wait["securityContext"] == RestoreWaitContainer.defaultSecurityContext)
        #expect(wait["securityContext"]?["runAsUser"] == 1000)
    }

    @Test func kopiaVolumesAreLeftOutSoThePodStarts() throws {
        let pod = PodVolumeFixtures.pod("web", "shop", volumes: ["data", "cache"])
        let item = try Self.run(
            pod,
            backups: [
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "data", snapshot: "aaaa"),
                PodVolumeFixtures.podVolumeBackup(
                    namespace: "shop",
                    pod: "web",
                    volume: "cache",
                    snapshot: "k1",
                    uploader: "kopia"
                ),
            ]
        )
        let mounts = item[path: ["spec", "initContainers"]]?.arrayValue?.first?["volumeMounts"]
        #expect(mounts == [["name": "data", "mountPath": "/restores/data"]])

        // Only kopia volumes: no restore-wait at all (and the stale one is gone).
        let kopiaOnly = try Self.run(
            pod,
            backups: [
                PodVolumeFixtures.podVolumeBackup(
                    namespace: "shop",
                    pod: "web",
                    volume: "cache",
                    snapshot: "k1",
                    uploader: "kopia"
                )
            ]
        )
        #expect(kopiaOnly[path: ["spec", "initContainers"]] == [])
    }

    @Test func pluginConfigMapShapesTheContainer() throws {
        let container = RestoreWaitContainer(
            configuration: [
                "image": "registry.example.com/lifeboat:v9", "cpuRequest": "200m", "memLimit": "0",
                "secCtxRunAsUser": "2000", "secCtxAllowPrivilegeEscalation": "false",
            ]
        )
        #expect(container.image == "registry.example.com/lifeboat:v9")
        #expect(container.resources["requests"] == ["cpu": "200m", "memory": "128Mi"])
        #expect(container.resources["limits"] == ["cpu": "100m"])
        #expect(container.securityContext == ["runAsUser": 2000, "allowPrivilegeEscalation": false])
        // An image without a registry part is ignored, as in Velero; a bad quantity falls back to the defaults.
        let fallback = RestoreWaitContainer(configuration: ["image": "lifeboat", "cpuLimit": "lots"])
        #expect(fallback.image == RestoreWaitContainer.lifeboatImage)
        #expect(fallback.resources == RestoreWaitContainer.resources())
    }

    @Test func firstContainersSecurityContextIsCopiedWithoutConfiguration() throws {
        var pod = PodVolumeFixtures.pod("web", "shop", volumes: ["data"])
        pod[path: ["spec", "containers"]] = [
            ["name": "app", "image": "nginx", "securityContext": ["runAsUser": 33, "readOnlyRootFilesystem": true]]
        ]
        let item = try Self.run(
            pod,
            backups: [
                PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "data", snapshot: "aaaa")
            ]
        )
        let wait = item[path: ["spec", "initContainers"]]?.arrayValue?.first
        #expect(wait?["securityContext"] == ["runAsUser": 33, "readOnlyRootFilesystem": true])
    }

    @Test func podsWithoutVolumeDataAreUnchanged() throws {
        var pod = PodVolumeFixtures.pod("web", "shop", volumes: ["data"])
        pod[path: ["spec", "initContainers"]] = nil
        let item = try Self.run(pod, backups: [])
        #expect(item[path: ["spec", "initContainers"]] == nil)
    }
}
