import Foundation
import KubeSandbox
import Kubernetes
import Testing

struct KubeConfigTests {
    static let base = """
        apiVersion: v1
        kind: Config
        current-context: main
        clusters:
        - name: c1
          cluster:
            server: https://10.0.0.1:6443/
            certificate-authority-data: \(Data("-----BEGIN CERTIFICATE-----\\nAA\\n-----END CERTIFICATE-----\\n".utf8).base64EncodedString())
            tls-server-name: api.internal
        - name: c2
          cluster:
            server: https://other:443
            insecure-skip-tls-verify: true
        contexts:
        - name: main
          context: {cluster: c1, user: tok, namespace: apps}
        - name: basic
          context: {cluster: c2, user: basic}
        - name: file
          context: {cluster: c2, user: file}
        - name: nouser
          context: {cluster: c2, user: ghost}
        - name: nocluster
          context: {cluster: ghost, user: tok}
        users:
        - name: tok
          user: {token: abc}
        - name: basic
          user: {username: admin, password: secret}
        - name: file
          user: {tokenFile: token.txt}
        """

    @Test func resolvesCurrentContextTokenAndTLS() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", Self.base)
        let config = try KubeConfig.load(kubeconfigPath: path, context: nil, environment: [:])
        #expect(config.server == "https://10.0.0.1:6443")
        #expect(config.namespace == "apps")
        #expect(config.credentials == .token("abc"))
        #expect(config.tls.serverName == "api.internal")
        #expect(
            config.tls.certificateAuthorityPEM.map { String(decoding: $0, as: UTF8.self) }?.contains(
                "BEGIN CERTIFICATE"
            ) == true
        )
        #expect(config.identityDescription == "user \"tok\" (bearer token)")
    }

    @Test func basicAuthTokenFileAndInsecure() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", Self.base)
        try dir.write("token.txt", "filetoken\n")
        let basic = try KubeConfig.load(kubeconfigPath: path, context: "basic", environment: [:])
        #expect(basic.credentials == .basic(username: "admin", password: "secret"))
        #expect(basic.tls.insecureSkipTLSVerify)
        #expect(basic.namespace == "default")
        let file = try KubeConfig.load(kubeconfigPath: path, context: "file", environment: [:])
        #expect(file.credentials == .tokenFile(dir.path + "/token.txt"))  // relative to the kubeconfig's folder
    }

    @Test func clientCertificateFilesAndData() async throws {
        try await withSandbox(SandboxConfiguration()) { sandbox in
            let dir = try TempDir()
            defer { dir.cleanup() }
            // any valid certificate works for parsing; the sandbox CA has CN lifeboat-sandbox-ca
            try dir.write("client.crt", sandbox.caCertificatePEM)
            try dir.write("client.key", "-----BEGIN EC PRIVATE KEY-----\nAA\n-----END EC PRIVATE KEY-----\n")
            let text = """
                current-context: x
                clusters: [{name: c, cluster: {server: "https://h:1"}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                users:
                - name: u
                  user: {client-certificate: client.crt, client-key: client.key}
                - name: d
                  user:
                    client-certificate-data: \(Data(sandbox.caCertificatePEM.utf8).base64EncodedString())
                    client-key-data: \(Data("key".utf8).base64EncodedString())
                """
            let path = try dir.write("config", text)
            let config = try KubeConfig.load(kubeconfigPath: path, context: nil, environment: [:])
            #expect(config.tls.clientCertificatePEM == Array(sandbox.caCertificatePEM.utf8))
            #expect(config.identityDescription == "user \"u\" (client certificate CN=lifeboat-sandbox-ca)")
            var file = try KubeConfigFile.load(paths: [path], skipMissing: false)
            file.contexts["x"]?.user = "d"
            let fromData = try KubeConfig.resolve(file)
            #expect(fromData.tls.clientKeyPEM == Array("key".utf8))
        }
    }

    @Test func mergesKubeconfigListFirstWins() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let first = try dir.write(
            "a",
            """
            clusters: [{name: shared, cluster: {server: "https://first:1"}}]
            users: [{name: u, user: {token: first}}]
            """
        )
        let second = try dir.write(
            "b",
            """
            current-context: ctx
            clusters: [{name: shared, cluster: {server: "https://second:1"}}]
            contexts: [{name: ctx, context: {cluster: shared, user: u}}]
            users: [{name: u, user: {token: second}}]
            """
        )
        let env = ["KUBECONFIG": "\(first):\(dir.path)/missing:\(second)", "HOME": dir.path]
        let config = try KubeConfig.load(environment: env)
        #expect(config.server == "https://first:1")
        #expect(config.credentials == .token("first"))
        #expect(config.contextName == "ctx")
        #expect(config.source == "\(first):\(second)")
        // --kubeconfig overrides KUBECONFIG
        let only = try KubeConfig.load(kubeconfigPath: second, environment: env)
        #expect(only.server == "https://second:1")
    }

    @Test func badFilesNameTheFileAndProblem() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let good = try dir.write("config", Self.base)
        let malformed = try dir.write("bad", "clusters: [\n  - name: x\n")
        let notMap = try dir.write("list", "- a\n- b\n")
        let badType = try dir.write("badtype", "clusters: {a: 1}\n")
        func message(_ path: String?, context: String? = nil, env: [String: String] = [:]) -> String {
            do {
                _ = try KubeConfig.load(kubeconfigPath: path, context: context, environment: env)
                return "no error"
            } catch let e as KubeError {
                #expect(e.code == .config)
                #expect(!e.description.contains("\n"))
                return e.description
            } catch {
                return "unexpected \(error)"
            }
        }
        #expect(message(dir.path + "/nope") == "kubeconfig \(dir.path)/nope: file does not exist")
        #expect(message(malformed).hasPrefix("kubeconfig \(malformed): invalid YAML"))
        #expect(message(notMap) == "kubeconfig \(notMap): expected a mapping at the top level, got array")
        #expect(message(badType) == "kubeconfig \(badType): clusters must be a list, got object")
        #expect(message(good, context: "missing") == "kubeconfig \(good): context \"missing\" does not exist")
        #expect(
            message(good, context: "nouser")
                == "kubeconfig \(good): context \"nouser\" refers to user \"ghost\", which does not exist"
        )
        #expect(
            message(good, context: "nocluster")
                == "kubeconfig \(good): context \"nocluster\" refers to cluster \"ghost\", which does not exist"
        )
        #expect(message(nil, env: ["HOME": dir.path + "/home"]).contains("does not exist and not running in a cluster"))
        if getuid() != 0 {
            let unreadable = try dir.write("secret", Self.base, mode: 0o000)
            #expect(message(unreadable).contains("cannot read"))
        }
    }

    @Test func inClusterConfigReadsServiceAccountFiles() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try dir.write("token", "sa-token\n")
        try dir.write("namespace", "velero\n")
        try dir.write("ca.crt", "-----BEGIN CERTIFICATE-----\n")
        let env = ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"]
        let config = try KubeConfig.inCluster(environment: env, serviceAccountDirectory: dir.path)
        #expect(config.server == "https://[fd00::1]:443")
        #expect(config.namespace == "velero")
        #expect(config.credentials == .tokenFile(dir.path + "/token"))
        #expect(config.source == "in-cluster")
        #expect(throws: KubeError.self) {
            try KubeConfig.inCluster(environment: [:], serviceAccountDirectory: dir.path)
        }
    }

    @Test func execPluginVersionsAreValidated() throws {
        let text = """
            current-context: x
            clusters: [{name: c, cluster: {server: "https://h:1"}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1alpha1
                  command: plugin
            """
        let error = try #require(throws: KubeError.self) { try KubeConfig.parse(yaml: text) }
        #expect(error.message.contains("v1alpha1\" is not supported"))
        let ok = try KubeConfig.parse(yaml: text.replacingOccurrences(of: "v1alpha1", with: "v1beta1"))
        guard case .exec(let exec) = ok.credentials else {
            Issue.record("expected exec credentials")
            return
        }
        #expect(exec.command == "plugin")
    }
}
