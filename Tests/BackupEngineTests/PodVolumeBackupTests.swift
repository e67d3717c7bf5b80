import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Synchronization
import Testing
import VeleroAPI

@testable import BackupEngine

/// The backup side of file-system backup on a sandbox: which volumes get PodVolumeBackups, their shape (Velero
/// 1.18's), the repository and its password, waiting for a stand-in node agent, the side files, hooks around the
/// data move, and the fast failure when no node agent serves a node.
struct PodVolumeBackupTests {
    typealias Cluster = PodVolumeTestCluster

    @Test func annotatedVolumesGetOnePodVolumeBackupPerClaimShapedAsVelero() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            try await cluster.registerNodeAgentLease()
            try await cluster.createClaim("shared", namespace: "app")
            let claim: JSONValue = ["persistentVolumeClaim": ["claimName": "shared"]]
            let web1 = try await cluster.createPod(
                "web-1",
                namespace: "app",
                volumes: [("data", claim), ("scratch", ["emptyDir": [:]]), ("other", ["emptyDir": [:]])],
                annotations: [VeleroAnnotations.backupVolumes: "data,scratch"]
            )
            try await cluster.createPod(
                "web-2",
                namespace: "app",
                volumes: [("data", claim)],
                annotations: [VeleroAnnotations.backupVolumes: "data"]
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]
            let backup = try await cluster.withNodeAgent({ Cluster.completed($0) }) {
                try await cluster.backUp("b1", spec: spec, configuration: cluster.configuration())
            }
            #expect(backup.status?.phase == BackupPhase.completed, "\(String(describing: backup.status))")
            let uid = try #require(backup.metadata.uid)

            // One PodVolumeBackup per claim: web-2's volume uses the claim web-1's already backs up.
            let pvbs = try await cluster.podVolumeBackups().sorted { $0.spec.volume < $1.spec.volume }
            #expect(pvbs.map(\.spec.volume) == ["data", "scratch"])
            #expect(pvbs.allSatisfy { $0.spec.pod.name == "web-1" })
            let pvc = try await client.get(ItemCollector.claimsResource, namespace: "app", name: "shared")
            let data = try #require(pvbs.first)
            #expect(data.metadata.generateName == "b1-")
            #expect(data.name.hasPrefix("b1-"))
            #expect(data.metadata.namespace == Cluster.installNamespace)
            #expect(
                data.metadata.labels == [
                    VeleroLabels.backupName: "b1", VeleroLabels.backupUID: uid, VeleroLabels.pvcUID: pvc.uid ?? "",
                ]
            )
            #expect(data.metadata.annotations == [PodVolumeBackup.pvcNameAnnotation: "shared"])
            #expect(
                data.metadata.ownerReferences == [
                    VeleroAPI.OwnerReference(
                        apiVersion: "velero.io/v1",
                        kind: "Backup",
                        name: "b1",
                        uid: uid,
                        controller: true
                    )
                ]
            )
            #expect(data.spec.node == Cluster.node)
            #expect(data.spec.pod == ObjectReference(kind: "Pod", namespace: "app", name: "web-1", uid: web1.uid))
            #expect(data.spec.backupStorageLocation == "default")
            #expect(data.spec.repoIdentifier == "local:\(cluster.bucket.path)/velero/restic/app")
            #expect(data.spec.uploaderType == "restic")
            #expect(
                data.spec.tags == [
                    "backup": "b1", "backup-uid": uid, "ns": "app", "pod": "web-1", "pod-uid": web1.uid ?? "",
                    "pvc-uid": pvc.uid ?? "", "volume": "data",
                ]
            )
            let scratch = try #require(pvbs.last)
            #expect(scratch.metadata.labels?[VeleroLabels.pvcUID] == nil)
            #expect(scratch.spec.tags?["pvc-uid"] == nil)

            // The side files.
            let layout = cluster.store.layout
            let listed = try await cluster.sideFile(layout.backupPodVolumeBackups("b1"))
            #expect(
                Set(listed.arrayValue?.compactMap { $0["spec"]?["volume"]?.stringValue } ?? []) == ["data", "scratch"]
            )
            #expect(listed.arrayValue?.allSatisfy { $0["status"]?["phase"] == "Completed" } == true)
            let infos = try #require(try await cluster.sideFile(layout.backupVolumeInfo("b1")).arrayValue)
            let dataInfo = try #require(infos.first { $0["pvbInfo"]?["volumeName"] == "data" })
            let pvName = try #require(pvc["spec"]?["volumeName"]?.stringValue)
            #expect(dataInfo["pvcName"] == "shared")
            #expect(dataInfo["pvcNamespace"] == "app")
            #expect(dataInfo["pvName"] == .string(pvName))
            #expect(dataInfo["backupMethod"] == "PodVolumeBackup")
            #expect(dataInfo["snapshotDataMoved"] == false)
            #expect(dataInfo["skipped"] == false)
            #expect(dataInfo["result"] == "succeeded")
            #expect(dataInfo["pvbInfo"]?["snapshotHandle"] == "snap-data")
            #expect(dataInfo["pvbInfo"]?["size"] == 4096)
            #expect(dataInfo["pvbInfo"]?["uploaderType"] == "restic")
            #expect(dataInfo["pvbInfo"]?["podName"] == "web-1")
            #expect(dataInfo["pvbInfo"]?["podNamespace"] == "app")
            #expect(dataInfo["pvbInfo"]?["nodeName"] == .string(Cluster.node))
            #expect(dataInfo["pvbInfo"]?["Phase"] == "Completed")
            #expect(dataInfo["pvInfo"]?["reclaimPolicy"] == "Delete")
            // fs-backup covers the claim's PV: no "not backed up" warning.
            let results = try #require(try await cluster.store.backupResults(of: "b1"))
            #expect(results.warnings.isEmpty, "\(results.warnings.lines)")

            // The repository: its BackupRepository is Ready, the password is in a new Secret, and restic opens it.
            let repository = try await client.get(
                BackupRepository.resource,
                namespace: Cluster.installNamespace,
                name: "app-default-restic"
            ).value.decode(as: BackupRepository.self)
            #expect(repository.status?.phase == "Ready")
            #expect(repository.spec.volumeNamespace == "app")
            #expect(repository.spec.backupStorageLocation == "default")
            #expect(repository.spec.repositoryType == "restic")
            #expect(repository.spec.resticIdentifier == data.spec.repoIdentifier)
            #expect(repository.spec.maintenanceFrequency == "168h0m0s")
            #expect(
                repository.metadata.labels == [
                    VeleroLabels.volumeNamespace: "app", VeleroLabels.storageLocation: "default",
                    VeleroLabels.repositoryType: "restic",
                ]
            )
            let password = try #require(
                try await PodVolumeRepositories.password(client: client, namespace: Cluster.installNamespace)
            )
            #expect(password.count == 64 && password != PodVolumeRepositories.veleroStaticPassword)
            let folder = cluster.bucket.appendingPathComponent("velero/restic/app")
            try await Self.expectResticOpens(folder, password: password)
        }
    }

    @Test func defaultVolumesToFsBackupHonoursExcludesAndPoliciesAndAFailedVolumeFailsPartially() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            try await cluster.registerNodeAgentLease()
            try await cluster.createClaim("data", namespace: "app")
            try await cluster.createClaim("logs", namespace: "app", labels: ["tier": "skip"])
            _ = try await client.create(
                .configMaps,
                try BackupTestCluster.object([
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": "policies", "namespace": .string(Cluster.installNamespace)],
                    "data": [
                        "policies.yaml": """
                        version: v1
                        volumePolicies:
                        - conditions:
                            pvcLabels: {tier: skip}
                          action: {type: skip}
                        """
                    ],
                ])
            )
            try await cluster.createPod(
                "db",
                namespace: "app",
                volumes: [
                    ("data", ["persistentVolumeClaim": ["claimName": "data"]]),
                    ("logs", ["persistentVolumeClaim": ["claimName": "logs"]]),
                    ("scratch", ["emptyDir": [:]]),
                    ("cache", ["emptyDir": [:]]),
                ],
                annotations: [VeleroAnnotations.backupVolumesExcludes: "cache"]
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]
            spec.defaultVolumesToFsBackup = true
            spec.resourcePolicy = TypedLocalObjectReference(kind: "configmap", name: "policies")
            let backup = try await cluster.withNodeAgent({ pvb in
                pvb.spec.volume == "scratch"
                    ? Cluster.failed("read /host_pods/x: permission denied") : Cluster.completed(pvb)
            }) {
                try await cluster.backUp("b2", spec: spec, configuration: cluster.configuration())
            }
            #expect(backup.status?.phase == BackupPhase.partiallyFailed)
            let volumes = try await cluster.podVolumeBackups().map(\.spec.volume).sorted()
            #expect(volumes == ["data", "scratch"])
            let results = try #require(try await cluster.store.backupResults(of: "b2"))
            let errors = results.errors.namespaces?["app"] ?? []
            #expect(errors.count == 1, "\(results.errors.lines)")
            #expect(
                errors.first?.contains("pod volume backup failed: pod app/db volume scratch") == true
                    && errors.first?.contains("permission denied") == true,
                "\(errors)"
            )
            #expect(backup.status?.errors == 1)
            let infos = try #require(try await cluster.sideFile(cluster.store.layout.backupVolumeInfo("b2")).arrayValue)
            let scratch = try #require(infos.first { $0["pvbInfo"]?["volumeName"] == "scratch" })
            #expect(scratch["result"] == "failed")
            #expect(scratch["pvbInfo"]?["Phase"] == "Failed")
            // The skipped claim's PV is in the backup but nothing took its data: said once, in a skipped entry.
            let logs = try await client.get(ItemCollector.claimsResource, namespace: "app", name: "logs")
            let logsPV = try #require(logs["spec"]?["volumeName"]?.stringValue)
            let skipped = try #require(infos.first { $0["pvName"] == .string(logsPV) })
            #expect(skipped["skipped"] == true)
            #expect(skipped["pvcName"] == "logs")
            #expect(results.warnings.velero?.count == 1)
            #expect(results.warnings.velero?.first?.contains(logsPV) == true)

            // A policy ConfigMap that does not exist fails the backup before it starts.
            spec.resourcePolicy = TypedLocalObjectReference(kind: "configmap", name: "missing")
            let error = await #expect(throws: BackupEngineError.self) {
                _ = try await cluster.backUp("b3", spec: spec, configuration: cluster.configuration())
            }
            #expect(error?.code == .invalidSpec)
            #expect(error?.message.contains("velero/missing") == true)
        }
    }

    @Test func withoutANodeAgentThePodsVolumesFailAtOnceSayingHowToStartOne() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            try await cluster.createClaim("data", namespace: "app")
            try await cluster.createPod(
                "web",
                namespace: "app",
                volumes: [("data", ["persistentVolumeClaim": ["claimName": "data"]])],
                annotations: [VeleroAnnotations.backupVolumes: "data"]
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]
            // Nobody would end a PodVolumeBackup: only the fast failure ends this backup before its timeout.
            let backup = try await cluster.backUp("b1", spec: spec, configuration: cluster.configuration())
            #expect(backup.status?.phase == BackupPhase.partiallyFailed)
            let results = try #require(try await cluster.store.backupResults(of: "b1"))
            let message = try #require(results.errors.namespaces?["app"]?.first)
            #expect(message.contains("pod app/web"))
            #expect(message.contains("lifeboat install --use-node-agent"))
            #expect(message.contains("lifeboat node-agent server --node-name \(Cluster.node)"))
            #expect(try await cluster.podVolumeBackups().isEmpty)
            // Nothing was prepared for volumes that could not be backed up.
            let secret = try? await client.get(
                .secrets,
                namespace: Cluster.installNamespace,
                name: PodVolumeRepositories.passwordSecretName
            )
            #expect(secret == nil)
        }
    }

    @Test func aMissingPasswordSecretWithAnExistingRepositoryIsAClearErrorAndNothingIsOverwritten() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            try await cluster.registerNodeAgentLease()
            // A repository another installation made, whose password Secret is gone.
            let folder = cluster.bucket.appendingPathComponent("velero/restic/app")
            let passwordFile = cluster.bucket.appendingPathComponent("password")
            try Data("their-password".utf8).write(to: passwordFile)
            let restic = try ChildProcess.find("restic")
            let initialized = try await ChildProcess.run(
                restic,
                ["-r", folder.path, "--password-file", passwordFile.path, "init", "--repository-version", "2"],
                environment: ["RESTIC_CACHE_DIR": cluster.bucket.appendingPathComponent("cache").path]
            )
            try #require(initialized.status == 0, "\(initialized.output)")
            let config = try Data(contentsOf: folder.appendingPathComponent("config"))

            try await cluster.createClaim("data", namespace: "app")
            try await cluster.createPod(
                "web",
                namespace: "app",
                volumes: [("data", ["persistentVolumeClaim": ["claimName": "data"]])],
                annotations: [VeleroAnnotations.backupVolumes: "data"]
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]
            let backup = try await cluster.backUp("b1", spec: spec, configuration: cluster.configuration())
            #expect(backup.status?.phase == BackupPhase.partiallyFailed)
            let results = try #require(try await cluster.store.backupResults(of: "b1"))
            let message = try #require(results.errors.namespaces?["app"]?.first)
            #expect(message.contains("velero/velero-repo-credentials"), "\(message)")
            #expect(message.contains("repository-password"), "\(message)")
            #expect(message.contains("restic/app"), "\(message)")
            let secret = try? await client.get(
                .secrets,
                namespace: Cluster.installNamespace,
                name: PodVolumeRepositories.passwordSecretName
            )
            #expect(secret == nil)
            #expect(try Data(contentsOf: folder.appendingPathComponent("config")) == config)
            try await Self.expectResticOpens(folder, password: "their-password")
        }
    }

    @Test func anExistingRepositoryOpensOnlyWithItsPassword() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            try await cluster.registerNodeAgentLease()
            let folder = cluster.bucket.appendingPathComponent("velero/restic/app")
            let passwordFile = cluster.bucket.appendingPathComponent("password")
            try Data(PodVolumeRepositories.veleroStaticPassword.utf8).write(to: passwordFile)
            let initialized = try await ChildProcess.run(
                try ChildProcess.find("restic"),
                ["-r", folder.path, "--password-file", passwordFile.path, "init", "--repository-version", "2"],
                environment: ["RESTIC_CACHE_DIR": cluster.bucket.appendingPathComponent("cache").path]
            )
            try #require(initialized.status == 0, "\(initialized.output)")
            func setPassword(_ password: String) async throws {
                let secret = try BackupTestCluster.object([
                    "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": [
                        "name": .string(PodVolumeRepositories.passwordSecretName),
                        "namespace": .string(Cluster.installNamespace),
                    ],
                    "data": .object([
                        PodVolumeRepositories.passwordSecretKey: .string(Data(password.utf8).base64EncodedString())
                    ]),
                ])
                _ = try? await client.delete(
                    .secrets,
                    namespace: Cluster.installNamespace,
                    name: PodVolumeRepositories.passwordSecretName
                )
                _ = try await client.create(.secrets, secret)
            }
            try await cluster.createPod(
                "web",
                namespace: "app",
                volumes: [("scratch", ["emptyDir": [:]])],
                annotations: [VeleroAnnotations.backupVolumes: "scratch"]
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]

            try await setPassword("not-the-password")
            let refused = try await cluster.backUp("b1", spec: spec, configuration: cluster.configuration())
            #expect(refused.status?.phase == BackupPhase.partiallyFailed)
            let results = try #require(try await cluster.store.backupResults(of: "b1"))
            let message = try #require(results.errors.namespaces?["app"]?.first)
            #expect(message.contains("does not open the pod volume repository"), "\(message)")
            #expect(try await cluster.podVolumeBackups().isEmpty)

            // Velero's static password opens the repository Velero made with it.
            try await setPassword(PodVolumeRepositories.veleroStaticPassword)
            let backup = try await cluster.withNodeAgent({ Cluster.completed($0) }) {
                try await cluster.backUp("b2", spec: spec, configuration: cluster.configuration())
            }
            #expect(backup.status?.phase == BackupPhase.completed)
            #expect(try await cluster.podVolumeBackups().count == 1)
        }
    }

    @Test func hooksRunAroundTheDataMoveAndAnAbortingPreHookDropsThePod() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            try await cluster.registerNodeAgentLease()
            for name in ["a", "b"] {
                try await cluster.createClaim("\(name)-data", namespace: "app")
                try await cluster.createPod(
                    name,
                    namespace: "app",
                    volumes: [("data", ["persistentVolumeClaim": ["claimName": .string("\(name)-data")]])],
                    annotations: [VeleroAnnotations.backupVolumes: "data"]
                )
            }
            let hooks = RecordingHooks(client: client, aborting: ["app/b"])
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]
            let backup = try await cluster.withNodeAgent({ Cluster.completed($0) }) {
                try await cluster.backUp("b1", spec: spec, configuration: cluster.configuration(hooks: hooks))
            }
            let calls = hooks.calls.withLock { $0 }
            // Pod a: pre hooks before its PodVolumeBackup existed, post hooks once it had ended.
            #expect(
                calls.filter { $0.pod == "app/a" } == [
                    .init(phase: "pre", pod: "app/a", podVolumeBackupPhases: []),
                    .init(phase: "post", pod: "app/a", podVolumeBackupPhases: ["Completed"]),
                ]
            )
            // Pod b: its pre hook aborted; no volume backup, no post hooks, and the pod is not in the backup.
            #expect(calls.filter { $0.pod == "app/b" }.map(\.phase) == ["pre"])
            #expect(try await cluster.podVolumeBackups().map(\.spec.pod.name) == ["a"])
            let archive = try await BackupArchive.read(from: cluster.store, backup: "b1")
            #expect(archive.names("pods") == ["app/a"])
            #expect(backup.status?.phase == BackupPhase.partiallyFailed)
            #expect(backup.status?.hookStatus?.hooksAttempted == 3)
            #expect(backup.status?.hookStatus?.hooksFailed == 1)
            let results = try #require(try await cluster.store.backupResults(of: "b1"))
            #expect(results.errors.namespaces?["app"] == ["pre hook failed in pod app/b"])
        }
    }

    @Test func theHooksOfDifferentPodsRunTogetherAndEachPodsInOrder() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            let pods = ["a", "b", "c"]
            for name in pods { try await cluster.createPod(name, namespace: "app", volumes: []) }
            // Every hook waits until all pods' hooks of its phase have started: run one pod after another, each
            // would give up waiting (and say so).
            let hooks = GatheringHooks(pods: pods.count)
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]
            let backup = try await cluster.backUp("b1", spec: spec, configuration: cluster.configuration(hooks: hooks))
            let calls = hooks.calls.withLock { $0 }
            #expect(calls.filter { !$0.gathered }.isEmpty, "\(calls)")
            for pod in pods {
                #expect(calls.filter { $0.pod == "app/\(pod)" }.map(\.phase) == ["pre", "post"], "\(calls)")
            }
            #expect(backup.status?.phase == BackupPhase.completed)
            #expect(backup.status?.hookStatus?.hooksAttempted == 6)
        }
    }

    @Test func theTimeoutCancelsOutstandingPodVolumeBackups() async throws {
        try await Cluster.with { cluster in
            let client = cluster.client
            try await client.createNamespaceAndWait("app")
            try await cluster.registerNodeAgentLease()
            try await cluster.createPod(
                "web",
                namespace: "app",
                volumes: [("scratch", ["emptyDir": [:]])],
                annotations: [VeleroAnnotations.backupVolumes: "scratch"]
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["app"]
            // The node agent never answers.
            let backup = try await cluster.backUp(
                "b1",
                spec: spec,
                configuration: cluster.configuration(timeout: .milliseconds(300))
            )
            #expect(backup.status?.phase == BackupPhase.partiallyFailed)
            let pvb = try #require(try await cluster.podVolumeBackups().first)
            #expect(pvb.spec.cancel == true)
            let results = try #require(try await cluster.store.backupResults(of: "b1"))
            let message = try #require(results.errors.namespaces?["app"]?.first)
            #expect(message.contains("timed out waiting for all PodVolumeBackups to complete"))
            #expect(message.contains("pod app/web volume scratch"))
        }
    }

    @Test func aRunningNodeAgentPodServesItsNodeOnly() async throws {
        try await withSandbox(nodes: 2) { _, client in
            try await client.createNamespaceAndWait(Cluster.installNamespace)
            let presence = NodeAgentPresence(client: client, namespace: Cluster.installNamespace)
            #expect(try await !presence.serves(node: "sandbox-node-1"))
            var pod = KubeObject(
                apiVersion: "v1",
                kind: "Pod",
                namespace: Cluster.installNamespace,
                name: "node-agent-a"
            )
            pod.labels = ["role": "node-agent", "name": "node-agent"]
            pod["spec"] = [
                "nodeName": "sandbox-node-1", "containers": [["name": "node-agent", "image": "velero/velero"]],
            ]
            _ = try await client.create(.pods, pod)
            try await waitUntil("the node-agent pod running") {
                let current = try await client.get(.pods, namespace: Cluster.installNamespace, name: "node-agent-a")
                return current["status"]?["phase"] == "Running"
            }
            #expect(try await presence.serves(node: "sandbox-node-1"))
            #expect(try await !presence.serves(node: "sandbox-node-2"))
        }
    }

    /// `restic cat config` with the password succeeds on the repository folder.
    static func expectResticOpens(_ folder: URL, password: String) async throws {
        try await withTemporaryDirectory { scratch in
            let file = scratch.appendingPathComponent("password")
            try Data(password.utf8).write(to: file)
            let result = try await ChildProcess.run(
                try ChildProcess.find("restic"),
                ["-r", folder.path, "--password-file", file.path, "cat", "config"],
                environment: ["RESTIC_CACHE_DIR": scratch.appendingPathComponent("cache").path]
            )
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("\"version\": 2"), "\(result.stdout)")
        }
    }
}

/// The tracking state machine alone: ends are reported once, pods are done when all their backups settled.
struct PodVolumeBackupTrackingTests {
    static func pvb(_ name: String, pod: String, phase: String? = nil) -> PodVolumeBackup {
        var pvb = PodVolumeBackup(
            metadata: ObjectMeta(name: name, namespace: "velero"),
            spec: PodVolumeBackup.Spec(pod: ObjectReference(kind: "Pod", namespace: "app", name: pod), volume: name)
        )
        pvb.status = phase.map { PodVolumeBackup.Status(phase: $0) }
        return pvb
    }

    @Test func podsAreDoneWhenAllTheirBackupsEndAndEndsAreReportedOnce() {
        var tracking = PodVolumeBackupTracking()
        tracking.add(Self.pvb("v1", pod: "a"), facts: PodVolumeFacts(claim: nil, persistentVolume: nil))
        tracking.add(Self.pvb("v2", pod: "a"), facts: PodVolumeFacts(claim: "c", persistentVolume: "pv"))
        let pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: "a")
        #expect(tracking.waitForPod(pod, backups: ["v1", "v2"]).podsDone.isEmpty)

        var changes = tracking.update([Self.pvb("v1", pod: "a", phase: "Completed"), Self.pvb("v2", pod: "a")])
        #expect(changes.ended.map(\.podVolumeBackup.name) == ["v1"])
        #expect(changes.podsDone.isEmpty)
        changes = tracking.update([Self.pvb("v1", pod: "a", phase: "Completed")])
        #expect(changes.ended.isEmpty)

        changes = tracking.timeOut()
        #expect(changes.ended.map(\.podVolumeBackup.name) == ["v2"])
        #expect(changes.ended.first?.timedOut == true)
        #expect(changes.podsDone.map(\.name) == ["a"])
        #expect(tracking.isSettled)
        // A pod registered after its backups ended is done at once.
        let late = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: "b")
        #expect(tracking.waitForPod(late, backups: ["v1"]).podsDone.map(\.name) == ["b"])
    }
}

/// The volume info entries encode with Velero's keys and omissions; a node agent's Lease counts while it is fresh.
struct PodVolumeSideFileTests {
    @Test func volumeInfoEncodesAsVeleroWritesIt() throws {
        var pvb = PodVolumeBackupTrackingTests.pvb("data", pod: "web", phase: "Completed")
        pvb.spec.node = "n1"
        pvb.spec.uploaderType = "restic"
        pvb.status?.snapshotID = "abc"
        pvb.status?.progress = DataMoveProgress(totalBytes: 10, bytesDone: 10)
        let info = BackupVolumeInfo(
            podVolumeBackup: pvb,
            volume: PodVolumeFacts(claim: "claim", persistentVolume: "pv-1", reclaimPolicy: "Retain", labels: nil)
        )
        let json = try JSONValue(encoding: info)
        #expect(
            Self.sorted(json)
                == Self.sorted([
                    "pvcName": "claim", "pvcNamespace": "app", "pvName": "pv-1", "backupMethod": "PodVolumeBackup",
                    "snapshotDataMoved": false, "preserveLocalSnapshot": false, "skipped": false, "result": "succeeded",
                    "pvbInfo": [
                        "snapshotHandle": "abc", "size": 10, "uploaderType": "restic", "volumeName": "data",
                        "podName": "web", "podNamespace": "app", "nodeName": "n1", "Phase": "Completed",
                    ],
                    "pvInfo": ["reclaimPolicy": "Retain", "labels": nil],
                ])
        )
    }

    /// The value with every object's keys sorted (object equality is order-sensitive).
    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result = JSONObject()
            for key in object.keys.sorted() { result[key] = object[key].map(sorted) }
            return .object(result)
        case .array(let items):
            return .array(items.map(sorted))
        default:
            return value
        }
    }

    @Test func aLeaseServesItsNodeWhileItIsRenewed() {
        let now = Date()
        func record(renewed: TimeInterval, holder: String? = "n1") -> LeaderElectionRecord {
            LeaderElectionRecord(
                holderIdentity: holder,
                leaseDurationSeconds: 40,
                acquireTime: nil,
                renewTime: now.addingTimeInterval(renewed),
                leaseTransitions: 0
            )
        }
        #expect(NodeAgentPresence.isCurrent(record(renewed: -10), node: "n1", now: now))
        #expect(!NodeAgentPresence.isCurrent(record(renewed: -41), node: "n1", now: now))
        #expect(!NodeAgentPresence.isCurrent(record(renewed: -1, holder: ""), node: "n1", now: now))
    }
}
