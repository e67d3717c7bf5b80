import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing
import VeleroAPI

@testable import KubeSandbox
@testable import NodeAgent

/// A PodVolumeBackup through the node agent with the real data path: the exposer's hosting pod runs a stand-in
/// micro-service (a script mapped to the template's image) that reaches the `filesystem` location's bucket
/// through the mount Lifeboat's rule adds, and the load completes with the result of its termination message.
@Suite(.enabled(if: containersRun, "needs bubblewrap and mount namespaces"))
struct MicroServiceEndToEndTests {
    typealias Cluster = NodeAgentControllerTests
    typealias Fixtures = PodVolumeControllerTests
    static let image = "lifeboat-test/pod-volume"

    /// Waits for `<bucket>/go`, leaves a mark in the bucket, and reports a backup result.
    static func script(bucket: String) -> String {
        """
        #!/bin/sh
        while [ ! -e '\(bucket)/go' ]; do sleep 0.05; done
        echo "$@" > '\(bucket)/seen-by-hosting-pod'
        printf '%s' '{"snapshotID":"e2e-snap","emptySnapshot":false,"source":{"byPath":"/x","volumeMode":"Filesystem"},"totalBytes":100}' > /dev/termination-log

        """
    }

    @Test(.timeLimit(.minutes(3)))
    func aPodVolumeBackupCompletesThroughItsHostingPod() async throws {
        try await withTemporaryDirectory(prefix: "micro-service-e2e") { directory in
            let bucket = directory.resolvingSymlinksInPath().appendingPathComponent("bucket")
            try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
            let program = directory.appendingPathComponent("pod-volume.sh")
            try Self.script(bucket: bucket.path).write(to: program, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
            var configuration = SandboxConfiguration(
                port: 0,
                nodes: 1,
                customResources: .velero,
                imageCommands: SandboxConfiguration.testImageCommands
            )
            configuration.imageCommands[Self.image] = program.resolvingSymlinksInPath().path
            configuration.sharedHostPaths = [bucket.path]
            try await withSandbox(configuration: configuration) { sandbox, admin in
                try await prepare(admin, bucket: bucket.path)
                let client = try await Fixtures.clientPod(admin, "web", node: Fixtures.node)
                _ = try await admin.create(
                    LoadKind.podVolumeBackup.gvr,
                    Fixtures.load(.podVolumeBackup, "pvb-e2e", pod: client, node: Fixtures.node)
                )
                let agent = try Cluster.controller(
                    admin,
                    node: Fixtures.node,
                    dataPath: MicroServiceDataPath(
                        client: admin,
                        configuration: .init(namespace: Cluster.namespace, eventWaitTimeout: .milliseconds(100)),
                        logger: .quiet
                    ),
                    kinds: [.podVolumeBackup],
                    hostPods: Fixtures.podsDirectory(sandbox.volumesRoot),
                    template: DataMoverPodTemplate(image: Self.image)
                )
                try await Cluster.running(agent) {
                    try await run(admin, bucket: bucket)
                }
                let done = try #require(try await Cluster.load(admin, .podVolumeBackup, "pvb-e2e"))
                #expect(done.object["status"]?["snapshotID"] == "e2e-snap")
                #expect(done.object["status"]?["path"] == "/x")
                #expect(done.object["status"]?["progress"] == ["totalBytes": 100, "bytesDone": 100])
                let seen = try String(contentsOf: bucket.appendingPathComponent("seen-by-hosting-pod"), encoding: .utf8)
                #expect(seen.contains("--pod-volume-backup=pvb-e2e"))
            }
        }
    }

    /// The install namespace, the storage class and the `filesystem` location `default` on `bucket`.
    func prepare(_ admin: KubeClient, bucket: String) async throws {
        _ = try await admin.create(
            .namespaces,
            KubeObject(apiVersion: "v1", kind: "Namespace", name: Cluster.namespace)
        )
        var storageClass = KubeObject(apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name: "standard")
        storageClass["provisioner"] = "sandbox.csi.lifeboat.io"
        _ = try await admin.create(ClusterLoadSimulation.storageClassesResource, storageClass)
        var location = KubeObject(
            apiVersion: "velero.io/v1",
            kind: "BackupStorageLocation",
            namespace: Cluster.namespace,
            name: "default"
        )
        location["spec"] = ["provider": "filesystem", "objectStorage": ["bucket": .string(bucket)]]
        _ = try await admin.create(BackupStorageLocation.resource, location)
    }

    /// Waits for the load to run, reports progress as the micro-service would, lets the pod finish, and
    /// waits for the load to complete.
    func run(_ admin: KubeClient, bucket: URL) async throws {
        try await waitUntil("pvb-e2e InProgress") {
            try await Cluster.load(admin, .podVolumeBackup, "pvb-e2e")?.phase == .inProgress
        }
        let load = try #require(try await Cluster.load(admin, .podVolumeBackup, "pvb-e2e"))
        let events = MicroServiceDataPathTests()
        try await events.post(admin, load, DataPathMessages.reasonStarted)
        try await events.post(admin, load, DataPathMessages.reasonProgress, #"{"totalBytes":100,"doneBytes":50}"#)
        try await waitUntil("the progress is written") {
            let current = try await Cluster.load(admin, .podVolumeBackup, "pvb-e2e")
            return current?.object["status"]?["progress"] == ["totalBytes": 100, "bytesDone": 50]
        }
        try Data().write(to: bucket.appendingPathComponent("go"))
        try await waitUntil("pvb-e2e Completed") {
            try await Cluster.load(admin, .podVolumeBackup, "pvb-e2e")?.phase == .completed
        }
    }
}
