import Kubernetes
import Testing

@testable import NodeAgent

/// Lifeboat's rule for `filesystem` backup storage locations: the hosting pod mounts the bucket folder at its
/// own path; and the environment a standalone node agent gives its hosting pods.
struct PodVolumeStorageFolderTests {
    let builder = ExposerBuilder(
        config: NodeAgentConfig().resolve(in: ClusterFacts()),
        template: .standalone(image: "ghcr.io/lifeboat/lifeboat:latest")
    )
    let owner = LoadReference(kind: .podVolumeBackup, name: "pvb-1", namespace: "velero", uid: "5555")

    @Test func aFilesystemLocationsBucketIsMountedAtItsOwnPath() throws {
        let pod = builder.podVolumePod(.init(owner: owner, node: "n1", hostPath: "/p", storageFolder: "/srv/backups"))
        let volumes = pod["spec"]?["volumes"]?.arrayValue ?? []
        #expect(volumes.contains(["name": "filesystem-bsl", "hostPath": ["path": "/srv/backups"]]))
        let mounts = pod["spec"]?["containers"]?[0]?["volumeMounts"]?.arrayValue ?? []
        #expect(mounts.contains(["name": "filesystem-bsl", "mountPath": "/srv/backups"]))

        let other = builder.podVolumePod(.init(owner: owner, node: "n1", hostPath: "/p"))
        #expect(other["spec"]?["volumes"]?.arrayValue?.count == 1)
    }

    @Test func aStandaloneNodeAgentGivesItsHostingPodsTheirNodeAndNamespace() {
        let pod = builder.podVolumePod(.init(owner: owner, node: "n1", hostPath: "/p"))
        let env = pod["spec"]?["containers"]?[0]?["env"]?.arrayValue ?? []
        #expect(env.contains(["name": "NODE_NAME", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]]))
        #expect(
            env.contains(["name": "VELERO_NAMESPACE", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]])
        )
    }
}
