import Foundation

/// Everything the client needs to reach one cluster as one user: the server URL, TLS settings,
/// credentials and the default namespace — resolved from kubeconfig files or the in-cluster environment.
///
/// ```swift
/// let config = try KubeConfig.load(kubeconfigPath: options.kubeconfig, context: options.kubecontext)
/// let client = KubeClient(config: config, logger: logger)
/// ```
public struct KubeConfig: Sendable {
    /// TLS settings of the cluster and the client certificate of the user.
    public struct TLS: Sendable, Hashable {
        /// PEM bytes of the CA bundle (certificate-authority or -data); nil = system roots.
        public var certificateAuthorityPEM: [UInt8]?
        public var insecureSkipTLSVerify: Bool
        /// tls-server-name: the name used for SNI and certificate verification instead of the URL's host.
        public var serverName: String?
        /// PEM client certificate chain and key (client-certificate / client-key, file or -data).
        public var clientCertificatePEM: [UInt8]?
        public var clientKeyPEM: [UInt8]?

        public init(
            certificateAuthorityPEM: [UInt8]? = nil,
            insecureSkipTLSVerify: Bool = false,
            serverName: String? = nil,
            clientCertificatePEM: [UInt8]? = nil,
            clientKeyPEM: [UInt8]? = nil
        ) {
            self.certificateAuthorityPEM = certificateAuthorityPEM
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.serverName = serverName
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
        }
    }

    /// How requests authenticate (client certificates are in ``TLS``).
    public enum Credentials: Sendable, Hashable {
        case none
        /// A static bearer token.
        case token(String)
        /// A bearer token read from a file, re-read when the file changes (service-account tokens rotate).
        case tokenFile(String)
        /// HTTP basic authentication.
        case basic(username: String, password: String)
        /// An exec credential plugin; its token is cached until its expirationTimestamp.
        case exec(KubeConfigFile.ExecConfig)
    }

    /// The API server base URL, e.g. "https://127.0.0.1:6443" (no trailing slash).
    public var server: String
    public var tls: TLS
    public var credentials: Credentials
    /// The context's namespace, or "default".
    public var namespace: String
    /// The names picked from the kubeconfig (nil for in-cluster).
    public var contextName: String?
    public var clusterName: String?
    public var userName: String?
    /// Where this came from: the kubeconfig file(s) or "in-cluster".
    public var source: String

    public init(
        server: String,
        tls: TLS = TLS(),
        credentials: Credentials = .none,
        namespace: String = "default",
        contextName: String? = nil,
        clusterName: String? = nil,
        userName: String? = nil,
        source: String = "<inline>"
    ) {
        var s = server
        while s.hasSuffix("/") { s.removeLast() }
        self.server = s
        self.tls = tls
        self.credentials = credentials
        self.namespace = namespace
        self.contextName = contextName
        self.clusterName = clusterName
        self.userName = userName
        self.source = source
    }

    /// Who the client authenticates as, for error messages (401/403): the kubeconfig user and the method,
    /// e.g. `user "admin" (bearer token)`, `user "me" (client certificate CN=jane)`, `service account token (in-cluster)`.
    public var identityDescription: String {
        var methods: [String] = []
        switch credentials {
        case .none: break
        case .token: methods.append("bearer token")
        case .tokenFile(let path): methods.append("bearer token from \(path)")
        case .basic(let username, _): methods.append("basic auth as \"\(username)\"")
        case .exec(let e): methods.append("exec plugin \(e.command)")
        }
        if let pem = tls.clientCertificatePEM {
            if let cn = KubeConfig.commonName(pem: pem) {
                methods.append("client certificate CN=\(cn)")
            } else {
                methods.append("client certificate")
            }
        }
        let how = methods.isEmpty ? "no credentials (anonymous)" : methods.joined(separator: " + ")
        if let userName { return "user \"\(userName)\" (\(how))" }
        return how
    }
}

// MARK: - Loading

extension KubeConfig {
    /// The default kubeconfig path, `$HOME/.kube/config`.
    public static func defaultPath(environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.kube/config"
    }

    /// Loads the configuration like kubectl: `kubeconfigPath` (--kubeconfig) if given; else the
    /// colon-separated `KUBECONFIG` list (missing entries skipped, merged first-wins); else
    /// `~/.kube/config`; else the in-cluster configuration when running in a pod.
    ///
    /// - Parameters:
    ///   - kubeconfigPath: an explicit file (must exist).
    ///   - context: the context to use instead of current-context (--kubecontext).
    ///   - environment: the environment to read (nil = the process environment; injectable for tests).
    /// - Throws: ``KubeError`` `.config` with a one-line message naming the file(s) and the problem.
    public static func load(
        kubeconfigPath: String? = nil,
        context: String? = nil,
        environment: [String: String]? = nil
    ) throws -> KubeConfig {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let kubeconfigPath, !kubeconfigPath.isEmpty {
            return try resolve(KubeConfigFile.load(paths: [kubeconfigPath], skipMissing: false), context: context)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            let file = try KubeConfigFile.load(paths: paths, skipMissing: true)
            guard !file.files.isEmpty else {
                throw KubeError(code: .config, message: "kubeconfig \(list): none of the files in KUBECONFIG exist")
            }
            return try resolve(file, context: context)
        }
        let path = defaultPath(environment: environment)
        if FileManager.default.fileExists(atPath: path) {
            return try resolve(KubeConfigFile.load(paths: [path], skipMissing: false), context: context)
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try inCluster(environment: environment)
        }
        throw KubeError(
            code: .config,
            message:
                "kubeconfig \(path): file does not exist and not running in a cluster (use --kubeconfig or set KUBECONFIG)"
        )
    }

    /// Parses kubeconfig text (e.g. a sandbox's `kubeconfigYAML`) and resolves a context.
    public static func parse(
        yaml text: String,
        context: String? = nil,
        path: String = "<inline kubeconfig>"
    ) throws -> KubeConfig {
        try resolve(KubeConfigFile.parse(text, path: path), context: context)
    }

    /// Picks the context (explicit or current-context) and resolves its cluster and user.
    ///
    /// - Throws: ``KubeError`` `.config` when the context, cluster or user does not exist, or a referenced file
    ///   cannot be read.
    public static func resolve(_ file: KubeConfigFile, context: String? = nil) throws -> KubeConfig {
        let where_ = file.files.joined(separator: ":")
        func fail(_ what: String) -> KubeError { KubeError(code: .config, message: "kubeconfig \(where_): \(what)") }
        guard let contextName = (context?.isEmpty == false ? context : nil) ?? file.currentContext else {
            throw fail("no current context is set (use --kubecontext to pick one)")
        }
        guard let ctx = file.contexts[contextName] else {
            throw fail("context \"\(contextName)\" does not exist")
        }
        guard let cluster = file.clusters[ctx.cluster] else {
            throw fail("context \"\(contextName)\" refers to cluster \"\(ctx.cluster)\", which does not exist")
        }
        guard !cluster.server.isEmpty else { throw fail("cluster \"\(ctx.cluster)\" has no server") }
        guard cluster.server.hasPrefix("https://") || cluster.server.hasPrefix("http://") else {
            throw fail("cluster \"\(ctx.cluster)\": server \"\(cluster.server)\" is not an http(s) URL")
        }
        var user = KubeConfigFile.User(source: cluster.source)
        if !ctx.user.isEmpty {
            guard let u = file.users[ctx.user] else {
                throw fail("context \"\(contextName)\" refers to user \"\(ctx.user)\", which does not exist")
            }
            user = u
        }
        func readPEM(_ path: String, _ what: String, source: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubeError(code: .config, message: "kubeconfig \(source): cannot read \(what) file \(path)")
            }
            return Array(data)
        }
        var tls = TLS(insecureSkipTLSVerify: cluster.insecureSkipTLSVerify, serverName: cluster.tlsServerName)
        if let data = cluster.certificateAuthorityData {
            tls.certificateAuthorityPEM = data
        } else if let path = cluster.certificateAuthority {
            tls.certificateAuthorityPEM = try readPEM(path, "certificate-authority", source: cluster.source)
        }
        if let data = user.clientCertificateData {
            tls.clientCertificatePEM = data
        } else if let path = user.clientCertificate {
            tls.clientCertificatePEM = try readPEM(path, "client-certificate", source: user.source)
        }
        if let data = user.clientKeyData {
            tls.clientKeyPEM = data
        } else if let path = user.clientKey {
            tls.clientKeyPEM = try readPEM(path, "client-key", source: user.source)
        }
        if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
            throw KubeError(
                code: .config,
                message:
                    "kubeconfig \(user.source): user \"\(ctx.user)\" has a client certificate without a key (or a key without a certificate)"
            )
        }
        let credentials: Credentials
        if let exec = user.exec {
            guard
                exec.apiVersion == "client.authentication.k8s.io/v1"
                    || exec.apiVersion == "client.authentication.k8s.io/v1beta1"
            else {
                throw KubeError(
                    code: .config,
                    message:
                        "kubeconfig \(user.source): user \"\(ctx.user)\": exec plugin apiVersion \"\(exec.apiVersion)\" is not supported (use client.authentication.k8s.io/v1 or v1beta1)"
                )
            }
            credentials = .exec(exec)
        } else if let token = user.token, !token.isEmpty {
            credentials = .token(token)
        } else if let tokenFile = user.tokenFile {
            guard FileManager.default.isReadableFile(atPath: tokenFile) else {
                throw KubeError(code: .config, message: "kubeconfig \(user.source): cannot read tokenFile \(tokenFile)")
            }
            credentials = .tokenFile(tokenFile)
        } else if let username = user.username, !username.isEmpty {
            credentials = .basic(username: username, password: user.password ?? "")
        } else {
            credentials = .none
        }
        return KubeConfig(
            server: cluster.server,
            tls: tls,
            credentials: credentials,
            namespace: ctx.namespace ?? "default",
            contextName: contextName,
            clusterName: ctx.cluster,
            userName: ctx.user.isEmpty ? nil : ctx.user,
            source: where_
        )
    }

    /// The configuration of a pod: `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT`, the service-account
    /// token (re-read when it rotates), CA and namespace files.
    ///
    /// - Parameter serviceAccountDirectory: where token, ca.crt and namespace live (injectable for tests).
    /// - Throws: ``KubeError`` `.config` when the environment variables or the token are missing.
    public static func inCluster(
        environment: [String: String]? = nil,
        serviceAccountDirectory: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws -> KubeConfig {
        let environment = environment ?? ProcessInfo.processInfo.environment
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeError(
                code: .config,
                message: "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"
            )
        }
        let tokenPath = serviceAccountDirectory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeError(code: .config, message: "in-cluster config: cannot read service account token \(tokenPath)")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var tls = TLS()
        if let ca = FileManager.default.contents(atPath: serviceAccountDirectory + "/ca.crt") {
            tls.certificateAuthorityPEM = Array(ca)
        }
        let namespace = FileManager.default.contents(atPath: serviceAccountDirectory + "/namespace")
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return KubeConfig(
            server: "https://\(hostPart):\(port)",
            tls: tls,
            credentials: .tokenFile(tokenPath),
            namespace: (namespace?.isEmpty == false ? namespace : nil) ?? "default",
            source: "in-cluster"
        )
    }

    /// The subject common name of the first certificate in a PEM bundle.
    static func commonName(pem: [UInt8]) -> String? {
        guard let cert = try? TLSSupport.certificates(pem: pem).first else { return nil }
        let text = "\(cert)"
        guard let range = text.range(of: ";common_name=") else { return nil }
        let rest = text[range.upperBound...]
        let end = rest.firstIndex { $0 == ";" || $0 == ">" } ?? rest.endIndex
        return String(rest[..<end])
    }
}
