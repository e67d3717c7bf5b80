import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import Testing

/// Every client verb against a real in-process sandbox over loopback HTTPS.
struct KubeClientIntegrationTests {
    func withClient(
        _ sandboxConfig: SandboxConfiguration = SandboxConfiguration(),
        configuration: KubeClient.Configuration = .test,
        _ body: (Sandbox, KubeClient) async throws -> Void
    ) async throws {
        try await withSandbox(configuration: sandboxConfig, client: configuration, body)
    }

    static func configMap(
        _ name: String,
        namespace: String = "default",
        data: [String: String] = ["k": "v"]
    ) -> KubeObject {
        var cm = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: namespace, name: name)
        var d = JSONObject()
        for (k, v) in data.sorted(by: { $0.key < $1.key }) { d[k] = .string(v) }
        cm["data"] = .object(d)
        return cm
    }

    @Test func versionDiscoveryAndResolution() async throws {
        try await withClient { _, client in
            let version = try await client.serverVersion()
            #expect(version.gitVersion.hasPrefix("v1."))
            let discovery = try await client.discovery()
            #expect(discovery.groups.first?.name == "")
            #expect(try await client.resolve("cm").gvr == .configMaps)
            #expect(try await client.resolve("deploy").gvr.description == "deployments.v1.apps")
            #expect(try await client.resolve("Deployment").namespaced)
            await #expect(throws: KubeError.self) { try await client.resolve("nosuchthing") }
        }
    }

    @Test func crudVerbs() async throws {
        try await withClient { _, client in
            let created = try await client.create(.configMaps, Self.configMap("crud"))
            #expect(created.uid?.isEmpty == false)
            #expect(created.resourceVersion != nil)
            let fetched = try await client.get(.configMaps, namespace: "default", name: "crud")
            #expect(fetched["data"]?["k"] == "v")

            var changed = fetched
            changed["data"]?["k"] = "v2"
            let updated = try await client.update(.configMaps, changed)
            #expect(updated["data"]?["k"] == "v2")
            #expect(updated.resourceVersion != fetched.resourceVersion)

            let merged = try await client.patch(
                .configMaps,
                namespace: "default",
                name: "crud",
                .merge(["data": ["m": "1"]])
            )
            #expect(merged["data"]?["m"] == "1" && merged["data"]?["k"] == "v2")
            let jsonPatched = try await client.patch(
                .configMaps,
                namespace: "default",
                name: "crud",
                .json([["op": "replace", "path": "/data/m", "value": "2"]])
            )
            #expect(jsonPatched["data"]?["m"] == "2")
            let strategic = try await client.patch(
                .configMaps,
                namespace: "default",
                name: "crud",
                .strategicMerge(["metadata": ["labels": ["s": "1"]]])
            )
            #expect(strategic.labels["s"] == "1")
            let applied = try await client.patch(
                .configMaps,
                namespace: "default",
                name: "applied",
                .apply(
                    ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "applied"], "data": ["a": "1"]],
                    fieldManager: "tests"
                )
            )
            #expect(applied["data"]?["a"] == "1")

            // server-side dry run: looks created, is not stored
            let dry = try await client.create(.configMaps, Self.configMap("dry"), options: WriteOptions(dryRun: true))
            #expect(dry.name == "dry")
            let missing = await #expect(throws: KubeError.self) {
                try await client.get(.configMaps, namespace: "default", name: "dry")
            }
            #expect(missing?.code == .notFound)

            let duplicate = await #expect(throws: KubeError.self) {
                try await client.create(.configMaps, Self.configMap("crud"))
            }
            #expect(duplicate?.isAlreadyExists == true)

            // delete with a wrong uid precondition → 409; then a real delete
            let refused = await #expect(throws: KubeError.self) {
                try await client.delete(
                    .configMaps,
                    namespace: "default",
                    name: "crud",
                    options: DeleteOptions(preconditionUID: "nope")
                )
            }
            #expect(refused?.code == .conflict)
            try await client.delete(
                .configMaps,
                namespace: "default",
                name: "crud",
                options: DeleteOptions(propagationPolicy: "Background", preconditionUID: created.uid)
            )
            await #expect(throws: KubeError.self) {
                try await client.get(.configMaps, namespace: "default", name: "crud")
            }
        }
    }

    @Test func updateStatusOnSubresource() async throws {
        try await withClient { _, client in
            var ns = KubeObject(apiVersion: "v1", kind: "Namespace", name: "status-test")
            ns = try await client.create(.namespaces, ns)
            ns.status = ["phase": "Active", "conditions": []]
            let updated = try await client.updateStatus(.namespaces, ns)
            #expect(updated.status?["phase"] == "Active")
        }
    }

    @Test func staleResourceVersionConflicts() async throws {
        try await withClient { _, client in
            let created = try await client.create(.configMaps, Self.configMap("stale"))
            var first = created
            first["data"]?["k"] = "one"
            _ = try await client.update(.configMaps, first)
            var second = created  // still carries the old resourceVersion
            second["data"]?["k"] = "two"
            let error = await #expect(throws: KubeError.self) { try await client.update(.configMaps, second) }
            #expect(error?.code == .conflict)
            #expect(error?.status?.reason == "Conflict")
            #expect(error?.httpStatus == 409)
        }
    }

    @Test func paginates2000ObjectsAtLimit100() async throws {
        try await withClient { _, client in
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "many"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        for i in stride(from: worker, to: 2000, by: 16) {
                            _ = try await client.create(.configMaps, Self.configMap("cm-\(i)", namespace: "many"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            var pages = 0
            var names = Set<String>()
            for try await page in client.listPages(.configMaps, namespace: "many", options: ListOptions(limit: 100)) {
                pages += 1
                #expect(page.items.count <= 100)
                for item in page.items { names.insert(item.name ?? "") }
                #expect(page.items.allSatisfy { $0.kind == "ConfigMap" && $0.apiVersion == "v1" })
            }
            #expect(pages == 20)
            #expect(names.count == 2000)
            var count = 0
            for try await _ in client.listObjects(.configMaps, namespace: "many", options: ListOptions(limit: 300)) {
                count += 1
            }
            #expect(count == 2000)
            let selected = try await client.list(
                .configMaps,
                namespace: "many",
                options: ListOptions(fieldSelector: try FieldSelector(parsing: "metadata.name=cm-7"))
            )
            #expect(selected.items.map(\.name) == ["cm-7"])
        }
    }

    @Test func labelSelectorsOnList() async throws {
        try await withClient { _, client in
            for (name, tier) in [("a", "web"), ("b", "db"), ("c", "cache")] {
                var cm = Self.configMap("sel-\(name)")
                cm.labels = ["tier": tier]
                _ = try await client.create(.configMaps, cm)
            }
            let list = try await client.list(
                .configMaps,
                namespace: "default",
                options: ListOptions(labelSelector: try LabelSelector(parsing: "tier in (web,db),tier!=db"))
            )
            #expect(list.items.map(\.name) == ["sel-a"])
        }
    }

    @Test func watchDeliversEventsAndResumes() async throws {
        try await withClient { _, client in
            let start = try await client.list(.configMaps, namespace: "default")
            var iterator = client.watch(
                .configMaps,
                namespace: "default",
                options: WatchOptions(resourceVersion: start.resourceVersion, allowBookmarks: false, timeoutSeconds: 1)
            ).makeAsyncIterator()
            _ = try await client.create(.configMaps, Self.configMap("w1"))
            let added = try await iterator.next()
            #expect(added?.type == .added && added?.object.name == "w1")
            // the server ends each watch after 1s; the iterator reconnects from the last resourceVersion
            try await Task.sleep(for: .milliseconds(1500))
            _ = try await client.patch(
                .configMaps,
                namespace: "default",
                name: "w1",
                .merge(["data": ["k": "changed"]])
            )
            try await client.delete(.configMaps, namespace: "default", name: "w1")
            let modified = try await iterator.next()
            #expect(modified?.type == .modified && modified?.object["data"]?["k"] == "changed")
            let deleted = try await iterator.next()
            #expect(deleted?.type == .deleted && deleted?.object.name == "w1")
        }
    }

    @Test func watchRelistsAfterGone() async throws {
        try await withClient(SandboxConfiguration(watchHistory: 100)) { _, client in
            let first = try await client.create(.configMaps, Self.configMap("old"))
            for i in 0..<150 {
                _ = try await client.patch(
                    .configMaps,
                    namespace: "default",
                    name: "old",
                    .merge(["data": ["i": .string("\(i)")]])
                )
            }
            var iterator = client.watch(
                .configMaps,
                namespace: "default",
                options: WatchOptions(resourceVersion: first.resourceVersion, allowBookmarks: false)
            ).makeAsyncIterator()
            let restarted = try await iterator.next()
            #expect(restarted?.type == .restarted)
            #expect(restarted?.object.resourceVersion != nil)
            let added = try await iterator.next()
            #expect(added?.type == .added && added?.object.name == "old")
            #expect(added?.object["data"]?["i"] == "149")

            // without relisting, the expiry surfaces as .gone
            var strict = client.watch(
                .configMaps,
                namespace: "default",
                options: WatchOptions(
                    resourceVersion: first.resourceVersion,
                    allowBookmarks: false,
                    relistOnExpired: false
                )
            ).makeAsyncIterator()
            let error = await #expect(throws: KubeError.self) { _ = try await strict.next() }
            #expect(error?.code == .gone)
        }
    }

    @Test func retriesOn429And503() async throws {
        try await withClient { sandbox, client in
            _ = try await client.create(.configMaps, Self.configMap("retry"))
            sandbox.faults.inject(status: 429, count: 2, retryAfterSeconds: 1, pathContains: "/configmaps")
            let clock = ContinuousClock()
            let started = clock.now
            let got = try await client.get(.configMaps, namespace: "default", name: "retry")
            #expect(got.name == "retry")
            #expect(clock.now - started >= .seconds(2))  // Retry-After honoured twice

            sandbox.faults.inject(status: 503, count: 3, pathContains: "/configmaps")
            #expect(try await client.list(.configMaps, namespace: "default").items.contains { $0.name == "retry" })

            // a plain POST is not retried on 503 (it may have been processed)...
            sandbox.faults.inject(status: 503, count: 1, pathContains: "/configmaps", method: "POST")
            let error = await #expect(throws: KubeError.self) {
                try await client.create(.configMaps, Self.configMap("post"))
            }
            #expect(error?.code == .serviceUnavailable)
            // ...but 429 means it was not, so it is
            sandbox.faults.inject(status: 429, count: 1, pathContains: "/configmaps", method: "POST")
            #expect(try await client.create(.configMaps, Self.configMap("post")).name == "post")

            // retries are bounded
            sandbox.faults.inject(status: 500, count: 10, pathContains: "/configmaps/retry")
            let exhausted = await #expect(throws: KubeError.self) {
                try await client.get(.configMaps, namespace: "default", name: "retry")
            }
            #expect(exhausted?.code == .serverError)
            sandbox.faults.clear()
        }
    }

    @Test func rateLimiterSpacesRequests() async throws {
        var configuration = KubeClient.Configuration.test
        configuration.qps = 20
        configuration.burst = 1
        try await withClient(configuration: configuration) { _, client in
            let clock = ContinuousClock()
            let started = clock.now
            for _ in 0..<6 { _ = try await client.serverVersion() }
            #expect(clock.now - started >= .milliseconds(240))  // 5 waits of 50 ms
        }
    }

    @Test func unauthorizedNamesTheIdentity() async throws {
        try await withSandbox(SandboxConfiguration()) { sandbox in
            var config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            config.credentials = .token("wrong")
            try await withKubeClient(config: config, configuration: .test, logger: .quiet) { client in
                let error = await #expect(throws: KubeError.self) {
                    try await client.list(.configMaps, namespace: "default")
                }
                #expect(error?.code == .unauthorized)
                #expect(error?.message.contains("user \"lifeboat-sandbox\" (bearer token)") == true)
                #expect(error?.message.contains("list configmaps in namespace \"default\"") == true)
            }
        }
    }

    @Test func tlsFailuresSayWhichServerAndWhy() async throws {
        try await withSandbox(SandboxConfiguration()) { sandbox in
            let good = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)

            var sni = good
            sni.tls.serverName = "localhost"  // in the certificate's SANs: verified instead of 127.0.0.1
            try await withKubeClient(config: sni, configuration: .test, logger: .quiet) { client in
                let version = try await client.serverVersion()
                #expect(!version.gitVersion.isEmpty)
            }

            var unknownCA = good
            unknownCA.tls.certificateAuthorityPEM = nil  // system roots do not know the sandbox CA
            try await withKubeClient(config: unknownCA, configuration: .test, logger: .quiet) { client in
                let error = await #expect(throws: KubeError.self) { try await client.serverVersion() }
                #expect(error?.code == .tls)
                #expect(error?.message.contains(sandbox.serverURL) == true)
                #expect(error?.message.contains("unknown authority") == true)
            }

            // (A name-mismatch case cannot be provoked here: the sandbox certificate carries the IP SAN 127.0.0.1,
            // which NIOSSL matches against the socket address whatever name is presented.)

            var insecure = unknownCA
            insecure.tls.insecureSkipTLSVerify = true
            try await withKubeClient(config: insecure, configuration: .test, logger: .quiet) { client in
                let version = try await client.serverVersion()
                #expect(!version.gitVersion.isEmpty)
            }
        }
    }

    @Test func execPluginTokenIsUsedAndCached() async throws {
        try await withSandbox(SandboxConfiguration()) { sandbox in
            let dir = try TempDir()
            defer { dir.cleanup() }
            let script = """
                #!/bin/sh
                echo run >> "\(dir.path)/calls"
                echo "$KUBERNETES_EXEC_INFO" > "\(dir.path)/info"
                echo "$1 $PLUGIN_ENV" > "\(dir.path)/args"
                cat <<JSON
                {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"\(sandbox.token)","expirationTimestamp":"2999-01-01T00:00:00Z"}}
                JSON
                """
            try dir.write("plugin.sh", script, mode: 0o755)
            let ca = Data(sandbox.caCertificatePEM.utf8).base64EncodedString()
            let kubeconfig = """
                current-context: x
                clusters: [{name: c, cluster: {server: "\(sandbox.serverURL)", certificate-authority-data: \(ca)}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                users:
                - name: u
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: ./plugin.sh
                      args: [--flag]
                      env: [{name: PLUGIN_ENV, value: hello}]
                      interactiveMode: Never
                      provideClusterInfo: true
                """
            let path = try dir.write("config", kubeconfig)
            let config = try KubeConfig.load(kubeconfigPath: path, context: nil, environment: [:])
            #expect(config.identityDescription.contains("exec plugin"))
            try await withKubeClient(config: config, configuration: .test, logger: .quiet) { client in
                _ = try await client.serverVersion()
                _ = try await client.list(.configMaps, namespace: "default")
            }
            let calls = try String(contentsOfFile: dir.path + "/calls", encoding: .utf8)
            #expect(calls.split(separator: "\n").count == 1)  // cached until expirationTimestamp
            let info = try JSONValue(parsing: try String(contentsOfFile: dir.path + "/info", encoding: .utf8))
            #expect(info["apiVersion"] == "client.authentication.k8s.io/v1")
            #expect(info["spec"]?["interactive"] == false)
            #expect(info["spec"]?["cluster"]?["server"]?.stringValue == sandbox.serverURL)
            #expect(try String(contentsOfFile: dir.path + "/args", encoding: .utf8) == "--flag hello\n")

            // a failing plugin: the error says which command and what it printed
            try dir.write("plugin.sh", "#!/bin/sh\necho 'login required' >&2\nexit 3\n", mode: 0o755)
            try await withKubeClient(config: config, configuration: .test, logger: .quiet) { client in
                let error = await #expect(throws: KubeError.self) { try await client.serverVersion() }
                #expect(error?.message.contains("exited with status 3: login required") == true)
            }
        }
    }
}
