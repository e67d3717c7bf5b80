import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing
import VeleroAPI

@testable import BackupEngine
@testable import KubeSandbox

/// Whether this machine can run the sandbox's containers (bubblewrap with mount namespaces).
let hookContainersRun: Bool = {
    if case .available = Kubelet.checkIsolation() { return true }
    return false
}()

/// Backup and restore exec hooks against pods the sandbox's kubelet runs (exec through the API's WebSocket).
@Suite(.enabled(if: hookContainersRun, "needs bubblewrap and mount namespaces"))
struct HookExecTests {
    // MARK: - fixtures

    /// A sandbox with namespace `app` and a client.
    func withCluster(_ body: (KubeClient) async throws -> Void) async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("app")
            try await body(client)
        }
    }

    /// Creates a pod whose container `app` runs `script` with an emptyDir at `/data` (and, with `shared`, the
    /// node folder `/shared` at `/shared`), and waits until it runs.
    @discardableResult
    func runPod(
        _ client: KubeClient,
        _ name: String,
        namespace: String = "app",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        script: String? = "exec sleep infinity",
        image: String = "busybox:1.36",
        shared: Bool = false,
        waitRunning: Bool = true
    ) async throws -> KubeObject {
        var volumes: [JSONValue] = [["name": "data", "emptyDir": [:]]]
        var mounts: [JSONValue] = [["name": "data", "mountPath": "/data"]]
        if shared {
            volumes.append(["name": "shared", "hostPath": ["path": "/shared", "type": "DirectoryOrCreate"]])
            mounts.append(["name": "shared", "mountPath": "/shared"])
        }
        var container: JSONValue = ["name": "app", "image": .string(image), "volumeMounts": .array(mounts)]
        if let script { container["command"] = ["sh", "-c", .string(script)] }
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": .object(JSONObject(uniqueKeysWithValues: labels.map { ($0, .string($1)) })),
                "annotations": .object(JSONObject(uniqueKeysWithValues: annotations.map { ($0, .string($1)) })),
            ],
            "spec": [
                "terminationGracePeriodSeconds": 1,
                "containers": [container],
                "volumes": .array(volumes),
            ],
        ]
        _ = try await client.create(.pods, namespace: namespace, try BackupTestCluster.object(pod))
        var current = try await client.get(.pods, namespace: namespace, name: name)
        guard waitRunning else { return current }
        try await waitUntil("pod \(name) runs") {
            current = try await client.get(.pods, namespace: namespace, name: name)
            let status = current.status?["containerStatuses"]?[0]
            return status?["state"]?["running"] != nil
        }
        return current
    }

    /// Runs `script` in the pod's container `app`.
    func shell(
        _ client: KubeClient,
        _ pod: String,
        namespace: String = "app",
        _ script: String
    ) async throws -> PodExecResult {
        try await client.exec(namespace: namespace, pod: pod, container: "app", command: ["sh", "-c", script])
    }

    // MARK: - backup hooks

    @Test func aPreHookWritesADumpIntoTheVolumeAndThePostHookDeletesIt() async throws {
        try await withCluster { client in
            let pod = try await runPod(
                client,
                "db",
                annotations: [
                    "pre.hook.backup.velero.io/command": #"["sh", "-c", "echo dump-1 > /data/dump.sql; echo dumped"]"#,
                    "post.hook.backup.velero.io/command": #"["sh", "-c", "rm /data/dump.sql"]"#,
                ]
            )
            let hooks = BackupHooks(client: client, spec: BackupHookSpec())
            let log = RunLog(context: "backup=velero/b1")
            let pre = await hooks.runPreHooks(pod: pod, log: log)
            #expect(pre == HookPhaseOutcome(attempted: 1))
            #expect(try await shell(client, "db", "cat /data/dump.sql").stdoutText == "dump-1\n")
            let post = await hooks.runPostHooks(pod: pod, log: log)
            #expect(post == HookPhaseOutcome(attempted: 1))
            #expect(try await shell(client, "db", "test -e /data/dump.sql").exitCode == 1)
            #expect(hooks.totals() == HookTotals(attempted: 2, failed: 0))
            #expect(hooks.totals().hookStatus == .init(hooksAttempted: 2))
            let text = log.text
            #expect(text.contains("msg=\"running exec hook\""), "\(text)")
            #expect(text.contains("hookSource=annotation hookType=exec hookPhase=pre"), "\(text)")
            #expect(text.contains("hookName=<from-annotation> hookContainer=app"), "\(text)")
            #expect(text.contains("hookOnError=Fail hookTimeout={30s}"), "\(text)")
            #expect(text.contains(#"msg="stdout: dumped\n""#), "\(text)")
        }
    }

    @Test func specHooksOfOnePodRunInOrder() async throws {
        try await withCluster { client in
            let pod = try await runPod(client, "ordered")
            let spec = try BackupHookSpec(json: [
                "resources": [
                    [
                        "name": "first", "includedNamespaces": ["app"],
                        "pre": [
                            ["exec": ["command": ["sh", "-c", "echo 1 >> /data/order"]]],
                            ["exec": ["command": ["sh", "-c", "echo 2 >> /data/order"]]],
                        ],
                    ],
                    ["name": "second", "pre": [["exec": ["command": ["sh", "-c", "echo 3 >> /data/order"]]]]],
                    ["name": "elsewhere", "includedNamespaces": ["other"], "pre": [["exec": ["command": ["false"]]]]],
                ]
            ])
            let outcome = await BackupHooks(client: client, spec: spec).runPreHooks(pod: pod, log: RunLog(context: ""))
            #expect(outcome == HookPhaseOutcome(attempted: 3))
            #expect(try await shell(client, "ordered", "cat /data/order").stdoutText == "1\n2\n3\n")
        }
    }

    @Test func aBackupRunsSpecHooksOnlyInThePodsTheirNamespacesAndLabelsSelect() async throws {
        try await PodVolumeTestCluster.with { cluster in
            let client = cluster.client
            for namespace in ["app", "other"] { try await client.createNamespaceAndWait(namespace) }
            try await runPod(client, "db", labels: ["tier": "db"])
            try await runPod(client, "web", labels: ["tier": "web"])
            try await runPod(client, "db", namespace: "other", labels: ["tier": "db"])
            var spec = BackupSpec()
            spec.includedNamespaces = ["app", "other"]
            spec.hooks = [
                "resources": [
                    [
                        "name": "db-dump", "includedNamespaces": ["app"],
                        "labelSelector": ["matchLabels": ["tier": "db"]],
                        "pre": [["exec": ["command": ["sh", "-c", "echo pre >> /data/hooks"]]]],
                        "post": [["exec": ["command": ["sh", "-c", "echo post >> /data/hooks"]]]],
                    ]
                ]
            ]
            let hooks = try BackupHooks(client: client, backup: Backup(metadata: ObjectMeta(name: "b1"), spec: spec))
            let backup = try await cluster.backUp("b1", spec: spec, configuration: cluster.configuration(hooks: hooks))
            #expect(backup.status?.phase == BackupPhase.completed)
            #expect(backup.status?.hookStatus == BackupStatus.HookStatus(hooksAttempted: 2, hooksFailed: nil))
            #expect(try await shell(client, "db", "cat /data/hooks").stdoutText == "pre\npost\n")
            #expect(try await shell(client, "web", "test -e /data/hooks").exitCode == 1, "wrong label")
            #expect(
                try await shell(client, "db", namespace: "other", "test -e /data/hooks").exitCode == 1,
                "namespace not included"
            )
        }
    }

    @Test func aFailingFailHookAbortsWithItsStderrAndAContinueHookWarns() async throws {
        try await withCluster { client in
            let pod = try await runPod(
                client,
                "failing",
                annotations: [
                    "pre.hook.backup.velero.io/command": #"["sh", "-c", "echo disk full >&2; exit 1"]"#,
                    "pre.hook.backup.velero.io/on-error": "Fail",
                    "post.hook.backup.velero.io/command": #"["sh", "-c", "exit 3"]"#,
                    "post.hook.backup.velero.io/on-error": "Continue",
                ]
            )
            let hooks = BackupHooks(client: client, spec: BackupHookSpec())
            let log = RunLog(context: "")
            let pre = await hooks.runPreHooks(pod: pod, log: log)
            #expect(pre.abort && pre.attempted == 1 && pre.failed == 1 && pre.warnings.isEmpty)
            let error = pre.errors.first ?? ""
            #expect(error.contains("command terminated with exit code 1"), "\(error)")
            #expect(error.contains("disk full"), "\(error)")
            #expect(error.contains("pod app/failing"), "\(error)")
            #expect(log.text.contains("level=error msg=\"Error executing hook\""), "\(log.text)")
            let post = await hooks.runPostHooks(pod: pod, log: log)
            #expect(!post.abort && post.failed == 1 && post.errors.isEmpty)
            #expect(post.warnings.first?.contains("exit code 3") == true, "\(post.warnings)")
            #expect(hooks.totals() == HookTotals(attempted: 2, failed: 2))
        }
    }

    @Test func aHookPastItsTimeoutIsKilledReportedAndTheBackupGoesOn() async throws {
        try await withCluster { client in
            let pod = try await runPod(
                client,
                "slow",
                annotations: [
                    // Holds a lock on a file in the volume for ten minutes (an exec has its own process namespace,
                    // so another exec sees the command through the lock, not its process ID).
                    "pre.hook.backup.velero.io/command":
                        #"["flock", "/data/lock", "sh", "-c", "touch /data/locked; exec sleep 600"]"#,
                    "pre.hook.backup.velero.io/timeout": "1s",
                    "pre.hook.backup.velero.io/on-error": "Continue",
                ]
            )
            let hooks = BackupHooks(client: client, spec: BackupHookSpec())
            let outcome = await hooks.runPreHooks(pod: pod, log: RunLog(context: ""))
            #expect(!outcome.abort && outcome.failed == 1)
            #expect(outcome.warnings.first?.contains("timed out after 1s") == true, "\(outcome.warnings)")
            #expect(try await shell(client, "slow", "test -e /data/locked").exitCode == 0, "the hook held its lock")
            // Giving up closes the exec stream and the runtime kills the command (as containerd does when the
            // stream's context ends): its lock is free long before its ten minutes are up.
            try await waitUntil(
                "the timed-out hook's command is killed",
                timeout: .seconds(30),
                interval: .seconds(0.2)
            ) {
                try await shell(client, "slow", "flock -n /data/lock true").exitCode == 0
            }
        }
    }

    @Test func aMissingContainerAndAPodNotRunningFailWithTheReason() async throws {
        try await withCluster { client in
            let pod = try await runPod(
                client,
                "missing",
                annotations: [
                    "pre.hook.backup.velero.io/container": "nope",
                    "pre.hook.backup.velero.io/command": "/bin/true",
                    "post.hook.backup.velero.io/command": "[oops",
                ]
            )
            let hooks = BackupHooks(client: client, spec: BackupHookSpec())
            let pre = await hooks.runPreHooks(pod: pod, log: RunLog(context: ""))
            #expect(pre.abort && pre.errors.first?.contains(#"no such container: "nope""#) == true, "\(pre.errors)")
            let post = await hooks.runPostHooks(pod: pod, log: RunLog(context: ""))
            #expect(
                post.errors.first?.contains("invalid value for annotation post.hook.backup.velero.io/command") == true,
                "\(post.errors)"
            )

            // A container whose image the sandbox cannot run never starts: the exec fails with the API's reason.
            let waiting = try await runPod(
                client,
                "waiting",
                annotations: [
                    "pre.hook.backup.velero.io/command": "/bin/true",
                    "pre.hook.backup.velero.io/on-error": "Continue",
                ],
                script: nil,
                image: "registry.example/unmapped:1",
                waitRunning: false
            )
            let notRunning = await hooks.runPreHooks(pod: waiting, log: RunLog(context: ""))
            #expect(!notRunning.abort && notRunning.failed == 1, "\(notRunning)")
            let warning = notRunning.warnings.first ?? ""
            #expect(warning.contains("container not found") || warning.contains("host assigned"), "\(warning)")
        }
    }

    @Test func hooksOfTwoPodsRunConcurrently() async throws {
        try await withCluster { client in
            // Each pod's hook marks that it started, then waits for the other pod's mark: both finish only when
            // they run at the same time (one after the other, the first times out).
            func hook(_ me: String, _ other: String) -> String {
                #"["sh", "-c", "touch /shared/\#(me); while [ ! -e /shared/\#(other) ]; do sleep 0.05; done"]"#
            }
            var pods: [KubeObject] = []
            for (me, other) in [("a", "b"), ("b", "a")] {
                pods.append(
                    try await runPod(
                        client,
                        "pod-\(me)",
                        annotations: [
                            "pre.hook.backup.velero.io/command": hook(me, other),
                            "pre.hook.backup.velero.io/timeout": "20s",
                        ],
                        shared: true
                    )
                )
            }
            _ = try await shell(client, "pod-a", "rm -f /shared/a /shared/b")
            let hooks = BackupHooks(client: client, spec: BackupHookSpec())
            let log = RunLog(context: "")
            let (podA, podB) = (pods[0], pods[1])
            async let first = hooks.runPreHooks(pod: podA, log: log)
            async let second = hooks.runPreHooks(pod: podB, log: log)
            let outcomes = await [first, second]
            #expect(outcomes.allSatisfy { $0 == HookPhaseOutcome(attempted: 1) }, "\(outcomes)")
        }
    }

    // MARK: - restore hooks

    @Test func aRestoreExecHookWaitingForReadinessRunsAfterTheAppStarted() async throws {
        try await withCluster { client in
            let afterAppStarted =
                "for i in $(seq 200); do test -e /data/app-started && break; sleep 0.05; done; "
                + "test -e /data/app-started && touch /data/hook-ran"
            let log = RunLog(context: "restore=velero/r1")
            let hooks = RestoreExecHooks(client: client, spec: RestoreHookSpec(), log: log, waitLimit: .seconds(60))
            await hooks.withHooks { start in
                do {
                    let created = try await runPod(
                        client,
                        "restored",
                        annotations: [
                            // The sandbox's readiness is "running" (no probes): give the app's first line a
                            // moment, then the hook proves it runs beside the started app.
                            "post.hook.restore.velero.io/command": #"["sh", "-c", "\#(afterAppStarted)"]"#,
                            "post.hook.restore.velero.io/wait-for-ready": "true",
                            "post.hook.restore.velero.io/wait-timeout": "1m",
                        ],
                        script: "touch /data/app-started; exec sleep infinity",
                        waitRunning: false
                    )
                    start(created)
                } catch {
                    Issue.record("\(error)")
                }
            }
            #expect(hooks.totals() == HookTotals(attempted: 1, failed: 0), "\(log.text)")
            #expect(hooks.errors().isEmpty)
            let ran = try await shell(client, "restored", "test -e /data/hook-ran").exitCode
            #expect(ran == 0, "\(log.text)")
        }
    }

    @Test func restoreInitHooksRunBeforeTheAppContainer() async throws {
        try await withCluster { client in
            let spec = try RestoreHookSpec(json: [
                "resources": [
                    [
                        "name": "seed",
                        "postHooks": [
                            [
                                "init": [
                                    "initContainers": [
                                        [
                                            "name": "seed", "image": "busybox:1.36",
                                            "command": ["sh", "-c", "echo seeded > /data/seed"],
                                            "volumeMounts": [["name": "data", "mountPath": "/data"]],
                                        ]
                                    ]
                                ]
                            ]
                        ],
                    ]
                ]
            ])
            let pod: JSONValue = [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": "seeded", "namespace": "app"],
                "spec": [
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        [
                            "name": "app", "image": "busybox:1.36",
                            "command": ["sh", "-c", "cp /data/seed /data/seen-by-app; exec sleep infinity"],
                            "volumeMounts": [["name": "data", "mountPath": "/data"]],
                        ]
                    ],
                    "volumes": [["name": "data", "emptyDir": [:]]],
                ],
            ]
            let hooked = try RestoreInitHooks.apply(to: pod, spec: spec)
            _ = try await client.create(.pods, namespace: "app", try BackupTestCluster.object(hooked))
            try await waitUntil("pod seeded runs") {
                let current = try await client.get(.pods, namespace: "app", name: "seeded")
                return current.status?["containerStatuses"]?[0]?["state"]?["running"] != nil
            }
            #expect(try await shell(client, "seeded", "cat /data/seen-by-app").stdoutText == "seeded\n")
        }
    }

    @Test func aRestoreRunsInitAndExecHooksAndCountsThemInItsStatus() async throws {
        try await withSandbox { _, client in
            try await client.waitForDefaultServiceAccount(in: "default")
            var backup = VeleroBackupBuilder(name: "hooked")
            let data: JSONValue = ["name": "data", "mountPath": "/data"]
            for (name, command) in [("ok", "test -e /data/init-ran && touch /data/exec-ran"), ("bad", "exit 4")] {
                backup.add([
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": [
                        "name": .string(name), "namespace": "app", "labels": ["hooks": "yes"],
                        "annotations": [
                            "post.hook.restore.velero.io/command": .string(#"["sh", "-c", "\#(command)"]"#),
                            "post.hook.restore.velero.io/wait-timeout": "1m",
                        ],
                    ],
                    "spec": [
                        "terminationGracePeriodSeconds": 1,
                        "containers": [
                            [
                                "name": "app", "image": "busybox:1.36", "command": ["sleep", "infinity"],
                                "volumeMounts": [data],
                            ]
                        ],
                        "volumes": [["name": "data", "emptyDir": [:]]],
                    ],
                ])
            }
            let store = try await backup.store()
            let outcome = try await RestoreHarness.restore(client, store: store, backup: "hooked") { spec in
                spec.hooks = [
                    "resources": [
                        [
                            "name": "init", "labelSelector": ["matchLabels": ["hooks": "yes"]],
                            "postHooks": [
                                [
                                    "init": [
                                        "initContainers": [
                                            [
                                                "name": "mark", "image": "busybox:1.36",
                                                "command": ["sh", "-c", "touch /data/init-ran"], "volumeMounts": [data],
                                            ]
                                        ]
                                    ]
                                ]
                            ],
                        ]
                    ]
                ]
            }
            #expect(outcome.restore.status?.hookStatus == .init(hooksAttempted: 2, hooksFailed: 1))
            #expect(outcome.restore.status?.phase == "PartiallyFailed")
            let errors = outcome.results.errors.namespaces?["app"] ?? []
            #expect(
                errors.contains { $0.contains("hook <from-annotation> in container app failed to execute") },
                "\(errors)"
            )
            #expect(try await shell(client, "ok", "test -e /data/exec-ran").exitCode == 0)
        }
    }
}
