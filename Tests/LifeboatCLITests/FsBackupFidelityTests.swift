import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// What a file-system backup keeps (``FsBackupStack``): a StatefulSet with two replicas and volumeClaimTemplates,
/// a Deployment with a PVC and a pod with an emptyDir and an excluded volume come back after their namespace is
/// deleted — every file identical (content, mode, owner, mtime, symlinks, FIFOs), the applications Running on
/// their data, the excluded volume empty — and again under another namespace (`--namespace-mappings`). A second
/// backup after one file changed uploads about that file and uses the first snapshot as its parent.
@Suite(.enabled(if: fsBackupContainersRun, "needs bubblewrap and mount namespaces"))
struct FsBackupFidelityTests {
    static let statefulSets = GroupVersionResource(group: "apps", version: "v1", resource: "statefulsets")
    static let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")

    /// Size of `sub/blob.bin`, the file the incremental backup sees changed (random bytes: incompressible).
    static let blobSize = 200_000

    /// A container script: on a fresh start it writes a tree into each of `volumes` (contents, modes, mtimes with
    /// nanoseconds, file and folder symlinks, a dangling symlink, a FIFO) and a file into `excluded`; on a start
    /// over existing data it logs `started on existing data: <id>`. Then it idles until stopped.
    static func writer(volumes: [String], excluded: String? = nil) -> String {
        let first = volumes[0]
        var fresh = ""
        for v in volumes {
            fresh += """
                  mkdir -p \(v)/sub/deeper && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > \(v)/id
                  chmod 640 \(v)/id && head -c \(blobSize) /dev/urandom > \(v)/sub/blob.bin && chmod 600 \(v)/sub/blob.bin
                  printf 'deep\\n' > \(v)/sub/deeper/c.txt && chmod 700 \(v)/sub/deeper
                  printf '#!/bin/sh\\necho hi\\n' > \(v)/run.sh && chmod 4755 \(v)/run.sh
                  ln -s id \(v)/link && ln -s sub/deeper \(v)/dirlink && ln -s /nowhere \(v)/dangling
                  mkfifo -m 620 \(v)/fifo
                  touch -d '2021-03-04 05:06:07.123456789' \(v)/id \(v)/sub/blob.bin
                  touch -h -d '2020-01-02 03:04:05' \(v)/link

                """
        }
        if let excluded { fresh += "  printf 'not backed up\\n' > \(excluded)/cache.txt\n" }
        fresh += volumes.map { "  touch \($0)/done\n" }.joined()
        return """
            trap 'exit 0' TERM
            if [ -e \(first)/done ]; then
              echo "started on existing data: $(cat \(first)/id)"
            else
            \(fresh)fi
            while true; do sleep 1 & wait $!; done
            """
    }

    /// A container `app` running `script` with `mounts` (volume name → path).
    static func container(_ script: String, mounts: [String: String]) -> JSONValue {
        [
            "name": "app", "image": "busybox:1.36", "command": ["sh", "-c", .string(script)],
            "volumeMounts": .array(
                mounts.sorted { $0.key < $1.key }.map { ["name": .string($0.key), "mountPath": .string($0.value)] }
            ),
        ]
    }

    /// Creates the StatefulSet `db`, the Deployment `web` (PVC `web-data`) and the pod `cache` in `app`.
    static func createApplications(_ stack: FsBackupStack) async throws {
        let client = stack.client
        var set = KubeObject(apiVersion: "apps/v1", kind: "StatefulSet", namespace: "app", name: "db")
        set["spec"] = [
            "serviceName": "db", "replicas": 2, "podManagementPolicy": "Parallel",
            "selector": ["matchLabels": ["app": "db"]],
            "template": [
                "metadata": ["labels": ["app": "db"]],
                "spec": [
                    "terminationGracePeriodSeconds": 2,
                    "containers": [container(writer(volumes: ["/data"]), mounts: ["data": "/data"])],
                ],
            ],
            "volumeClaimTemplates": [
                [
                    "metadata": ["name": "data"],
                    "spec": [
                        "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                        "resources": ["requests": ["storage": "1Gi"]],
                    ],
                ]
            ],
        ]
        _ = try await client.create(statefulSets, set)

        try await stack.createClaim("web-data")
        var deployment = KubeObject(apiVersion: "apps/v1", kind: "Deployment", namespace: "app", name: "web")
        deployment["spec"] = [
            "replicas": 1, "selector": ["matchLabels": ["app": "web"]],
            "template": [
                "metadata": ["labels": ["app": "web"]],
                "spec": [
                    "terminationGracePeriodSeconds": 2,
                    "containers": [container(writer(volumes: ["/data"]), mounts: ["data": "/data"])],
                    "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": "web-data"]]],
                ],
            ],
        ]
        _ = try await client.create(deployments, deployment)

        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: "cache")
        pod.value[path: ["metadata", "annotations"]] = ["backup.velero.io/backup-volumes-excludes": "tmp"]
        pod["spec"] = [
            "terminationGracePeriodSeconds": 2,
            "containers": [
                container(
                    writer(volumes: ["/scratch"], excluded: "/cache"),
                    mounts: ["scratch": "/scratch", "tmp": "/cache"]
                )
            ],
            "volumes": [["name": "scratch", "emptyDir": [:]], ["name": "tmp", "emptyDir": [:]]],
        ]
        _ = try await client.create(.pods, pod)
    }

    /// The name of the Deployment's pod in `namespace`.
    static func webPod(_ stack: FsBackupStack, namespace: String) async throws -> String {
        let selector = try LabelSelector(parsing: "app=web")
        let pods = try await stack.client.list(.pods, namespace: namespace, options: .init(labelSelector: selector))
        return try #require(pods.items.compactMap(\.name).sorted().first, "no pod of Deployment web in \(namespace)")
    }

    /// The backed-up volumes' trees by `pod:path`.
    static func trees(_ stack: FsBackupStack, pods: [String], namespace: String) async throws -> [String: [String]] {
        var trees: [String: [String]] = [:]
        for pod in pods {
            let root = pod == "cache" ? "/scratch" : "/data"
            trees["\(pod):\(root)"] = try await stack.tree(pod: pod, namespace: namespace, root: root)
        }
        return trees
    }

    @Test(.timeLimit(.minutes(8)))
    func workloadsComeBackIdenticalAndAnIncrementalBackupUploadsTheChange() async throws {
        try await FsBackupStack.with(prefix: "lifeboat-fs-fidelity") { stack in
            let client = stack.client
            try await client.createNamespaceAndWait("app")
            try await Self.createApplications(stack)
            for pod in ["db-0", "db-1"] { try await stack.waitForPod(pod, marker: "/data/done") }
            try await stack.waitForPod("cache", marker: "/scratch/done")
            try await waitUntil("the Deployment's pod") { (try? await Self.webPod(stack, namespace: "app")) != nil }
            let web = try await Self.webPod(stack, namespace: "app")
            try await stack.waitForPod(web, marker: "/data/done")
            let pods = ["db-0", "db-1", web, "cache"]
            let original = try await Self.trees(stack, pods: pods, namespace: "app")
            let sample = try #require(original["db-0:/data"])
            #expect(sample.contains { $0.hasPrefix("./fifo p 620 ") }, "\(sample)")
            #expect(sample.contains { $0.hasPrefix("./run.sh f 4755 ") }, "\(sample)")
            #expect(sample.contains { $0.hasPrefix("./link l 777 ") && $0.hasSuffix(" id") }, "\(sample)")

            // MARK: first backup
            let first = try await stack.lifeboat([
                "backup", "create", "b1", "--include-namespaces", "app", "--default-volumes-to-fs-backup=true",
                "--wait",
            ])
            try #require(first.status == 0, "\(first.output)")
            #expect(first.output.contains("Backup completed with status: Completed"), "\(first.output)")
            let firstLoads = try await stack.podVolumeBackups(of: "b1")
            let backedUp = firstLoads.map { "\($0["spec"]?["pod"]?["name"]?.stringValue ?? ""):\($0.volume)" }
            #expect(Set(backedUp) == ["db-0:data", "db-1:data", "\(web):data", "cache:scratch"], "\(backedUp)")
            #expect(firstLoads.allSatisfy { $0.phase == "Completed" })

            // MARK: incremental backup
            try await stack.exec("head -c \(Self.blobSize) /dev/urandom > /data/sub/blob.bin", pod: "db-0")
            var changed = original
            changed["db-0:/data"] = try await stack.tree(pod: "db-0", root: "/data")
            let dataBefore = stack.bytes(under: "restic/app/data")
            let second = try await stack.lifeboat([
                "backup", "create", "b2", "--include-namespaces", "app", "--default-volumes-to-fs-backup=true",
                "--wait",
            ])
            try #require(second.status == 0, "\(second.output)")
            #expect(second.output.contains("Backup completed with status: Completed"), "\(second.output)")
            let growth = stack.bytes(under: "restic/app/data") - dataBefore
            let secondLoads = try await stack.podVolumeBackups(of: "b2")
            let changedLoad = try #require(secondLoads.first { $0["spec"]?["pod"]?["name"] == "db-0" })
            let uploaded = Int(changedLoad["status"]?["incrementalBytes"]?.intValue ?? 0)
            // The changed file is one chunk (under restic's 512 KiB minimum) of random bytes, stored as one
            // encrypted blob: its size plus 32 bytes of IV and MAC and a few bytes of zstd framing. On top come
            // the two changed trees (root and sub/, a few hundred bytes each) and the pack headers: 16 KiB covers
            // them with room to spare, and stays far below a second copy of the volume (~200 KB).
            let tolerance = 16 * 1024
            #expect((Self.blobSize...(Self.blobSize + tolerance)).contains(uploaded), "incrementalBytes \(uploaded)")
            #expect((Self.blobSize...(Self.blobSize + tolerance)).contains(growth), "repository data grew \(growth)")
            for load in secondLoads where load.name != changedLoad.name {
                // An unchanged volume stores nothing new (its trees are the parent's).
                #expect((load["status"]?["incrementalBytes"]?.intValue ?? 0) < 1024, "\(load.value.jsonString)")
            }
            let parentLoad = try #require(firstLoads.first { $0["spec"]?["pod"]?["name"] == "db-0" })
            let snapshots = try await stack.snapshots()
            let snapshotID = try #require(changedLoad["status"]?["snapshotID"]?.stringValue)
            let snapshot = try #require(snapshots.first { $0["id"]?.stringValue?.hasPrefix(snapshotID) == true })
            let parentID = try #require(parentLoad["status"]?["snapshotID"]?.stringValue)
            #expect(snapshot["parent"]?.stringValue?.hasPrefix(parentID) == true, "\(snapshot.jsonString)")
            print(
                "incremental backup after one \(Self.blobSize)-byte file changed: PodVolumeBackup incrementalBytes "
                    + "\(uploaded), repository data +\(growth) bytes"
            )
            try await stack.expectCheckIsClean()

            // MARK: namespace deleted, restored
            _ = try await client.delete(.namespaces, name: "app")
            try await waitUntil("namespace app deleted", timeout: .seconds(120)) {
                (try? await client.get(.namespaces, name: "app")) == nil
            }
            try await Self.restore("r1", from: "b2", stack: stack, namespace: "app", pods: pods, expected: changed)

            // MARK: namespace-mapped restore of the first backup next to it
            try await Self.restore("r2", from: "b1", stack: stack, namespace: "app2", pods: pods, expected: original)
        }
    }

    /// Restores `backup` (into `namespace`, mapped from `app` when it differs) and checks the pods: Running on
    /// their data (restore-wait first, their log says they found it), trees equal to `expected`, excluded
    /// volume empty.
    static func restore(
        _ name: String,
        from backup: String,
        stack: FsBackupStack,
        namespace: String,
        pods: [String],
        expected: [String: [String]]
    ) async throws {
        var arguments = ["restore", "create", name, "--from-backup", backup, "--wait"]
        if namespace != "app" { arguments += ["--namespace-mappings", "app:\(namespace)"] }
        let restore = try await stack.lifeboat(arguments)
        try #require(restore.status == 0, "\(restore.output)")
        #expect(restore.output.contains("Completed"), "\(restore.output)")
        let loads = try await stack.podVolumeRestores(of: name)
        #expect(loads.count == 4 && loads.allSatisfy { $0.phase == "Completed" }, "\(loads.map(\.value.jsonString))")
        for pod in pods {
            do {
                try await waitUntil("\(namespace)/\(pod) runs", timeout: .seconds(90)) {
                    let object = try? await stack.client.get(.pods, namespace: namespace, name: pod)
                    return object?["status"]?["phase"] == "Running"
                }
            } catch {
                Issue.record(Comment(rawValue: await stack.describeRestoredPod(pod, namespace: namespace)))
                throw error
            }
            let object = try await stack.client.get(.pods, namespace: namespace, name: pod)
            #expect(object["spec"]?["initContainers"]?[0]?["name"] == "restore-wait", "\(pod)")
            // The container's log is collected as it writes it: wait for the line.
            try await waitUntil("\(namespace)/\(pod) says it started on existing data") {
                let log = try await stack.client.logText(namespace: namespace, pod: pod, container: "app")
                return log.contains("started on existing data: ")
            }
        }
        let restored = try await trees(stack, pods: pods, namespace: namespace)
        for (key, tree) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(restored[key] == tree, "\(namespace) \(key)")
        }
        let excluded = try await stack.exec("ls -A /cache", pod: "cache", namespace: namespace)
        #expect(excluded.isEmpty, "the excluded volume holds \(excluded)")
    }
}
