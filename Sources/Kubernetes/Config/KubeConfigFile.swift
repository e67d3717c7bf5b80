import Foundation

/// The merged content of one or more kubeconfig files (clusters, contexts, users by name), as kubectl
/// merges them: for each map the first file that sets a key wins, and `current-context` comes from the
/// first file that sets it. Relative file paths are resolved against the directory of the file that named them.
public struct KubeConfigFile: Sendable {
    /// A `clusters[].cluster` entry.
    public struct Cluster: Sendable, Hashable {
        public var server: String
        public var certificateAuthority: String?
        public var certificateAuthorityData: [UInt8]?
        public var insecureSkipTLSVerify: Bool
        public var tlsServerName: String?
        public var proxyURL: String?
        /// The file this entry came from.
        public var source: String
    }

    /// A `contexts[].context` entry.
    public struct Context: Sendable, Hashable {
        public var cluster: String
        public var user: String
        public var namespace: String?
        public var source: String
    }

    /// A `users[].user` entry.
    public struct User: Sendable, Hashable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: [UInt8]?
        public var clientKey: String?
        public var clientKeyData: [UInt8]?
        public var username: String?
        public var password: String?
        public var exec: ExecConfig?
        public var source: String
    }

    /// A `users[].user.exec` credential plugin.
    public struct ExecConfig: Sendable, Hashable {
        public var apiVersion: String
        public var command: String
        public var args: [String]
        public var env: [(name: String, value: String)]
        public var installHint: String?
        public var provideClusterInfo: Bool
        public var interactiveMode: String?

        public static func == (a: ExecConfig, b: ExecConfig) -> Bool {
            a.apiVersion == b.apiVersion && a.command == b.command && a.args == b.args
                && a.env.map(\.name) == b.env.map(\.name) && a.env.map(\.value) == b.env.map(\.value)
        }
        public func hash(into h: inout Hasher) {
            h.combine(apiVersion)
            h.combine(command)
            h.combine(args)
        }
    }

    public var clusters: [String: Cluster] = [:]
    public var contexts: [String: Context] = [:]
    public var users: [String: User] = [:]
    public var currentContext: String?
    /// The files merged, in order.
    public var files: [String] = []

    public init() {}

    /// Reads and merges files in order.
    ///
    /// - Parameter skipMissing: skip files that do not exist (the `KUBECONFIG` list behaviour) instead of failing.
    /// - Throws: ``KubeError`` `.config` naming the file and the problem (missing, unreadable, malformed).
    public static func load(paths: [String], skipMissing: Bool) throws -> KubeConfigFile {
        var merged = KubeConfigFile()
        for path in paths where !path.isEmpty {
            if skipMissing && !FileManager.default.fileExists(atPath: path) { continue }
            let text = try readFile(path)
            merged.merge(try parse(text, path: path))
        }
        return merged
    }

    static func readFile(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KubeError(code: .config, message: "kubeconfig \(path): file does not exist")
        }
        if isDirectory.boolValue {
            throw KubeError(code: .config, message: "kubeconfig \(path): is a directory, not a file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeError(code: .config, message: "kubeconfig \(path): cannot read the file (permission denied?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KubeError(code: .config, message: "kubeconfig \(path): not UTF-8 text")
        }
        return text
    }

    /// Adds the entries of `other` that are not set yet.
    public mutating func merge(_ other: KubeConfigFile) {
        for (k, v) in other.clusters where clusters[k] == nil { clusters[k] = v }
        for (k, v) in other.contexts where contexts[k] == nil { contexts[k] = v }
        for (k, v) in other.users where users[k] == nil { users[k] = v }
        if currentContext == nil || currentContext == "" { currentContext = other.currentContext }
        files += other.files
    }

    /// Parses one kubeconfig file's text.
    ///
    /// - Throws: ``KubeError`` `.config` naming `path` and the malformed field.
    public static func parse(_ text: String, path: String) throws -> KubeConfigFile {
        let root: JSONValue
        do {
            root = try JSONValue(yamlOrJSON: text)
        } catch let e as KubeError {
            throw KubeError(code: .config, message: "kubeconfig \(path): \(e.message)")
        }
        var file = KubeConfigFile()
        file.files = [path]
        if root.isNull { return file }  // an empty file is an empty config, like kubectl
        guard root.objectValue != nil else {
            throw KubeError(
                code: .config,
                message: "kubeconfig \(path): expected a mapping at the top level, got \(root.typeName)"
            )
        }
        let dir = (path as NSString).deletingLastPathComponent
        func fail(_ what: String) -> KubeError { KubeError(code: .config, message: "kubeconfig \(path): \(what)") }
        func resolve(_ p: String?) -> String? {
            guard let p, !p.isEmpty else { return nil }
            return p.hasPrefix("/") || dir.isEmpty ? p : dir + "/" + p
        }
        func string(_ v: JSONValue?, _ field: String) throws -> String? {
            guard let v, !v.isNull else { return nil }
            switch v {
            case .string(let s): return s
            case .int, .double, .bool: return v.jsonString
            default: throw fail("\(field) must be a string, got \(v.typeName)")
            }
        }
        func base64(_ v: JSONValue?, _ field: String) throws -> [UInt8]? {
            guard let s = try string(v, field), !s.isEmpty else { return nil }
            guard let d = Data(base64Encoded: s, options: .ignoreUnknownCharacters) else {
                throw fail("\(field) is not valid base64")
            }
            return Array(d)
        }
        func entries(_ key: String, inner: String) throws -> [(String, JSONValue, Int)] {
            guard let list = root[key], !list.isNull else { return [] }
            guard let array = list.arrayValue else { throw fail("\(key) must be a list, got \(list.typeName)") }
            return try array.enumerated().map { i, e in
                guard let name = e["name"]?.stringValue, !name.isEmpty else { throw fail("\(key)[\(i)] has no name") }
                return (name, e[inner] ?? .object([:]), i)
            }
        }
        file.currentContext = try string(root["current-context"], "current-context").flatMap { $0.isEmpty ? nil : $0 }
        for (name, c, i) in try entries("clusters", inner: "cluster") where file.clusters[name] == nil {
            let f = "clusters[\(i)] (\"\(name)\")"
            file.clusters[name] = Cluster(
                server: try string(c["server"], "\(f).cluster.server") ?? "",
                certificateAuthority: resolve(
                    try string(c["certificate-authority"], "\(f).cluster.certificate-authority")
                ),
                certificateAuthorityData: try base64(
                    c["certificate-authority-data"],
                    "\(f).cluster.certificate-authority-data"
                ),
                insecureSkipTLSVerify: c["insecure-skip-tls-verify"]?.boolValue ?? false,
                tlsServerName: try string(c["tls-server-name"], "\(f).cluster.tls-server-name"),
                proxyURL: try string(c["proxy-url"], "\(f).cluster.proxy-url"),
                source: path
            )
        }
        for (name, c, i) in try entries("contexts", inner: "context") where file.contexts[name] == nil {
            let f = "contexts[\(i)] (\"\(name)\")"
            file.contexts[name] = Context(
                cluster: try string(c["cluster"], "\(f).context.cluster") ?? "",
                user: try string(c["user"], "\(f).context.user") ?? "",
                namespace: try string(c["namespace"], "\(f).context.namespace"),
                source: path
            )
        }
        for (name, u, i) in try entries("users", inner: "user") where file.users[name] == nil {
            let f = "users[\(i)] (\"\(name)\")"
            var exec: ExecConfig?
            if let e = u["exec"], !e.isNull {
                guard let command = try string(e["command"], "\(f).user.exec.command"), !command.isEmpty else {
                    throw fail("\(f).user.exec.command is required")
                }
                let resolvedCommand =
                    command.contains("/") && !command.hasPrefix("/") ? (resolve(command) ?? command) : command
                var env: [(name: String, value: String)] = []
                for (j, item) in (e["env"]?.arrayValue ?? []).enumerated() {
                    guard let n = item["name"]?.stringValue else {
                        throw fail("\(f).user.exec.env[\(j)].name is required")
                    }
                    env.append((n, try string(item["value"], "\(f).user.exec.env[\(j)].value") ?? ""))
                }
                exec = ExecConfig(
                    apiVersion: try string(e["apiVersion"], "\(f).user.exec.apiVersion") ?? "",
                    command: resolvedCommand,
                    args: (e["args"]?.arrayValue ?? []).compactMap {
                        $0.stringValue ?? ($0.isNull ? nil : $0.jsonString)
                    },
                    env: env,
                    installHint: e["installHint"]?.stringValue,
                    provideClusterInfo: e["provideClusterInfo"]?.boolValue ?? false,
                    interactiveMode: e["interactiveMode"]?.stringValue
                )
            }
            file.users[name] = User(
                token: try string(u["token"], "\(f).user.token"),
                tokenFile: resolve(try string(u["tokenFile"], "\(f).user.tokenFile")),
                clientCertificate: resolve(try string(u["client-certificate"], "\(f).user.client-certificate")),
                clientCertificateData: try base64(u["client-certificate-data"], "\(f).user.client-certificate-data"),
                clientKey: resolve(try string(u["client-key"], "\(f).user.client-key")),
                clientKeyData: try base64(u["client-key-data"], "\(f).user.client-key-data"),
                username: try string(u["username"], "\(f).user.username"),
                password: try string(u["password"], "\(f).user.password"),
                exec: exec,
                source: path
            )
        }
        return file
    }
}
