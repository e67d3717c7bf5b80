import Kubernetes
import Testing

@testable import BackupEngine

/// Which hooks apply to a pod and how they read: annotations against `spec.hooks`, selectors, commands,
/// defaults, and the restore hooks' init containers and exec groups (no cluster).
struct HookSelectionTests {
    /// A pod in `namespace` with `labels`, `annotations` and containers named `containers`.
    static func pod(
        _ name: String = "db",
        namespace: String = "app",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        containers: [String] = ["main", "sidecar"],
        initContainers: [String] = []
    ) -> KubeObject {
        var metadata: JSONObject = ["name": .string(name), "namespace": .string(namespace)]
        if !labels.isEmpty {
            metadata["labels"] = .object(JSONObject(uniqueKeysWithValues: labels.map { ($0, .string($1)) }))
        }
        if !annotations.isEmpty {
            metadata["annotations"] = .object(JSONObject(uniqueKeysWithValues: annotations.map { ($0, .string($1)) }))
        }
        var spec: JSONObject = ["containers": .array(containers.map { ["name": .string($0), "image": "busybox"] })]
        if !initContainers.isEmpty {
            spec["initContainers"] = .array(initContainers.map { ["name": .string($0), "image": "busybox"] })
        }
        return KubeObject(["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(spec)])
    }

    static let spec: JSONValue = [
        "resources": [
            [
                "name": "freeze",
                "includedNamespaces": ["app", "db-*"],
                "excludedNamespaces": ["db-test"],
                "labelSelector": ["matchLabels": ["tier": "db"]],
                "pre": [
                    ["exec": ["command": ["fsfreeze", "--freeze", "/data"], "onError": "Continue", "timeout": "2m"]],
                    ["exec": ["container": "sidecar", "command": ["sync"]]],
                ],
                "post": [["exec": ["command": ["fsfreeze", "--unfreeze", "/data"]]]],
            ],
            ["name": "not-pods", "excludedResources": ["pods"], "pre": [["exec": ["command": ["never"]]]]],
        ]
    ]

    @Test func specHooksApplyByNamespaceAndLabelInOrder() throws {
        let hooks = try BackupHookSpec(json: Self.spec)
        let pre = hooks.selectHooks(for: Self.pod(labels: ["tier": "db"]), phase: .pre)
        #expect(pre.map(\.hook.command) == [["fsfreeze", "--freeze", "/data"], ["sync"]])
        #expect(pre.map(\.name) == ["freeze", "freeze"] && pre.allSatisfy { $0.source == .spec })
        #expect(pre[0].hook.onError == .continue && pre[0].hook.effectiveTimeout == .seconds(120))
        #expect(pre[1].hook.container == "sidecar" && pre[1].hook.effectiveOnError == .fail)
        #expect(pre[1].hook.effectiveTimeout == .seconds(30))
        #expect(hooks.selectHooks(for: Self.pod(labels: ["tier": "db"]), phase: .post).count == 1)
        // Wrong label, excluded namespace, namespace not included: nothing.
        #expect(hooks.selectHooks(for: Self.pod(labels: ["tier": "web"]), phase: .pre).isEmpty)
        #expect(hooks.selectHooks(for: Self.pod(namespace: "db-test", labels: ["tier": "db"]), phase: .pre).isEmpty)
        #expect(hooks.selectHooks(for: Self.pod(namespace: "db-prod", labels: ["tier": "db"]), phase: .pre).count == 2)
        #expect(hooks.selectHooks(for: Self.pod(namespace: "other", labels: ["tier": "db"]), phase: .pre).isEmpty)
    }

    @Test func annotationHooksWinOverSpecHooks() throws {
        let hooks = try BackupHookSpec(json: Self.spec)
        let pod = Self.pod(
            labels: ["tier": "db"],
            annotations: [
                "pre.hook.backup.velero.io/container": "sidecar",
                "pre.hook.backup.velero.io/command": #"["/bin/sh", "-c", "pg_dump > /data/dump.sql"]"#,
                "pre.hook.backup.velero.io/on-error": "Continue",
                "pre.hook.backup.velero.io/timeout": "45s",
            ]
        )
        let pre = hooks.selectHooks(for: pod, phase: .pre)
        #expect(pre.count == 1)
        #expect(pre.first?.name == "<from-annotation>" && pre.first?.source == .annotation)
        #expect(pre.first?.hook.command == ["/bin/sh", "-c", "pg_dump > /data/dump.sql"])
        #expect(pre.first?.hook.container == "sidecar" && pre.first?.hook.onError == .continue)
        #expect(pre.first?.hook.effectiveTimeout == .seconds(45))
        // No post annotation: the spec's post hooks apply.
        #expect(hooks.selectHooks(for: pod, phase: .post).map(\.source) == [.spec])
    }

    @Test func legacyUnphasedAnnotationsArePreHooksAndPlainStringsAreOneWord() throws {
        let pod = Self.pod(annotations: [
            "hook.backup.velero.io/command": "/usr/bin/sync",
            "hook.backup.velero.io/on-error": "Sometimes",
            "hook.backup.velero.io/timeout": "soon",
        ])
        let pre = BackupHookSpec().selectHooks(for: pod, phase: .pre)
        #expect(pre.first?.hook.command == ["/usr/bin/sync"])
        // Velero: an unknown on-error is unset (Fail), an unparsable timeout is the default.
        #expect(pre.first?.hook.effectiveOnError == .fail && pre.first?.hook.effectiveTimeout == .seconds(30))
        #expect(BackupHookSpec().selectHooks(for: pod, phase: .post).isEmpty)
    }

    @Test(arguments: [
        (#"["sh", "-c"#, "it is not valid JSON"),
        (#"["sh", 1]"#, "element 1 is not a string"),
        ("[]", "the array is empty"),
    ])
    func aCommandThatIsNeitherJSONNorPlainIsAnErrorNamingTheAnnotation(value: String, reason: String) {
        let pod = Self.pod(annotations: ["post.hook.backup.velero.io/command": value])
        let post = BackupHookSpec().selectHooks(for: pod, phase: .post)
        let problem = post.first?.hook.commandProblem ?? ""
        #expect(problem.contains("post.hook.backup.velero.io/command"), "\(problem)")
        #expect(problem.contains(reason), "\(problem)")
    }

    @Test func malformedSpecHooksNameTheField() {
        let cases: [(JSONValue, String)] = [
            (["resources": [["pre": [["exec": ["command": "sync"]]]]]], "spec.hooks.resources[0].pre[0].exec.command"),
            (["resources": [["post": [["exec": ["command": []]]]]]], "spec.hooks.resources[0].post[0].exec.command"),
            (["resources": [["pre": [["exec": ["command": ["a"], "timeout": "later"]]]]]], "exec.timeout"),
            (["resources": [["labelSelector": ["matchLabels": ["a": 1]]]]], "spec.hooks.resources[0].labelSelector"),
            (["resources": "all"], "spec.hooks.resources"),
        ]
        for (json, field) in cases {
            do {
                _ = try BackupHookSpec(json: json)
                Issue.record("accepted \(json.jsonString)")
            } catch let error as BackupEngineError {
                #expect(error.code == .invalidSpec)
                #expect(error.message.contains(field), "\(error.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    // MARK: - restore

    static let restoreSpec: JSONValue = [
        "resources": [
            [
                "name": "prepare",
                "includedNamespaces": ["app"],
                "includedResources": ["configmaps"],  // ignored: restore hooks are for pods
                "postHooks": [
                    [
                        "init": [
                            "initContainers": [
                                ["name": "seed", "image": "busybox", "command": ["sh", "-c", "echo seed"]]
                            ]
                        ]
                    ],
                    [
                        "exec": [
                            "container": "sidecar", "command": ["sh", "-c", "true"], "execTimeout": "10s",
                            "waitTimeout": "1m", "waitForReady": true, "onError": "Fail",
                        ]
                    ],
                    ["exec": ["command": ["echo", "first"]]],
                ],
            ]
        ]
    ]

    @Test func initHooksGoAfterRestoreWaitAndBeforeThePodsOwnInitContainers() throws {
        let spec = try RestoreHookSpec(json: Self.restoreSpec)
        let pod = Self.pod(initContainers: ["restore-wait", "migrate"]).value
        let result = try RestoreInitHooks.apply(to: pod, spec: spec)
        let names = result[path: ["spec", "initContainers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["restore-wait", "seed", "migrate"])
        let withoutWait = try RestoreInitHooks.apply(to: Self.pod(initContainers: ["migrate"]).value, spec: spec)
        #expect(
            withoutWait[path: ["spec", "initContainers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                == ["seed", "migrate"]
        )
        // Another namespace: unchanged.
        let other = Self.pod(namespace: "other").value
        #expect(try RestoreInitHooks.apply(to: other, spec: spec) == other)
    }

    @Test func initHookAnnotationsWinAndAContainerWithoutCommandIsInvalid() throws {
        let spec = try RestoreHookSpec(json: Self.restoreSpec)
        let annotated = Self.pod(annotations: [
            "init.hook.restore.velero.io/container-image": "busybox",
            "init.hook.restore.velero.io/command": #"["sh", "-c", "echo restored"]"#,
        ])
        let result = try RestoreInitHooks.apply(to: annotated.value, spec: spec)
        let first = result[path: ["spec", "initContainers"]]?[0]
        #expect(first?["name"]?.stringValue?.hasPrefix("velero-restore-init-") == true)
        #expect(first?["command"] == ["sh", "-c", "echo restored"] && first?["image"] == "busybox")
        #expect(result[path: ["spec", "initContainers"]]?.arrayValue?.count == 1)

        let invalid = try RestoreHookSpec(json: [
            "resources": [["postHooks": [["init": ["initContainers": [["name": "x", "image": "busybox"]]]]]]]
        ])
        #expect(throws: BackupEngineError.self) { try RestoreInitHooks.apply(to: Self.pod().value, spec: invalid) }
    }

    @Test func execHooksAreGroupedByContainerWithDefaults() throws {
        let spec = try RestoreHookSpec(json: Self.restoreSpec)
        let groups = RestoreExecHookGroups.group(pod: Self.pod(), spec: spec)
        #expect(groups.map(\.container) == ["sidecar", "main"])
        let sidecar = try #require(groups.first?.hooks.first)
        #expect(sidecar.hook.waitForReady && sidecar.hook.waitTimeout == .seconds(60))
        #expect(sidecar.hook.exec.effectiveTimeout == .seconds(10) && sidecar.hook.exec.onError == .fail)
        #expect(groups.last?.hooks.first?.hook.exec.command == ["echo", "first"])
        // One hook without a wait timeout: wait as long as the restore does.
        #expect(RestoreExecHookGroups.maxWait(groups) == nil)
        #expect(RestoreExecHookGroups.maxWait(Array(groups.prefix(1))) == .seconds(60))

        let annotated = Self.pod(annotations: [
            "post.hook.restore.velero.io/command": "/bin/true",
            "post.hook.restore.velero.io/wait-for-ready": "true",
            "post.hook.restore.velero.io/wait-timeout": "2m",
            "post.hook.restore.velero.io/exec-timeout": "5s",
            "post.hook.restore.velero.io/on-error": "Continue",
        ])
        let fromAnnotation = RestoreExecHookGroups.group(pod: annotated, spec: spec)
        #expect(fromAnnotation.map(\.container) == ["main"])
        let hook = try #require(fromAnnotation.first?.hooks.first)
        #expect(hook.name == "<from-annotation>" && hook.hook.exec.command == ["/bin/true"])
        #expect(hook.hook.waitForReady && hook.hook.waitTimeout == .seconds(120))
        #expect(hook.hook.exec.timeout == .seconds(5) && hook.hook.exec.onError == .continue)
    }

    @Test func aContainerIsUpWhenRunningOrReadyAsItsHooksAsk() throws {
        var pod = Self.pod()
        pod.object["status"] = [
            "containerStatuses": [["name": "main", "ready": false, "state": ["running": ["startedAt": "now"]]]]
        ]
        let plain = [
            PendingRestoreHook(
                name: "h",
                source: .spec,
                hook: ExecRestoreHook(exec: ExecHook(container: "main", command: ["x"]))
            )
        ]
        var ready = plain
        ready[0].hook.waitForReady = true
        #expect(RestoreExecHookGroups.isContainerUp(pod, container: "main", hooks: plain))
        #expect(!RestoreExecHookGroups.isContainerUp(pod, container: "main", hooks: ready))
        #expect(!RestoreExecHookGroups.isContainerUp(pod, container: "sidecar", hooks: plain))
    }
}
