import Foundation
import Kubernetes

/// A pod's volumes on the host, laid out as the kubelet lays them out under
/// `<root>/nodes/<node>/pods/<uid>/volumes/<plugin>/<name>`: `emptyDir` folders, the PV folders of claims
/// (with the CSI `mount` link), `hostPath` under the node's own root `<root>/nodes/<node>/root`, and the files of
/// `configMap`, `secret`, `downwardAPI` and `projected` volumes.
struct PodVolumes {
    var root: URL
    var node: String
    var pod: JSONValue
    /// A ConfigMap ("configmaps") or Secret ("secrets") of the pod's namespace.
    var lookup: (_ kind: String, _ name: String) -> JSONValue?
    /// The PV folder bound to a claim, nil while the claim is not bound.
    var claimFolder: (_ claim: String) -> (volume: String, folder: URL)?
    /// The token written for `serviceAccountToken` projections.
    var token: String
    /// Host folders every node shares (``SandboxConfiguration/sharedHostPaths``): a `hostPath` inside one is the
    /// host's own path, not a path under the node's private root.
    var sharedHostPaths: [String] = []

    /// Why a volume cannot be set up (the kubelet's `MountVolume.SetUp failed` event).
    struct Failure: Error, Equatable {
        var message: String
    }

    var uid: String { pod["metadata"]?["uid"]?.stringValue ?? "" }

    /// `<root>/nodes/<node>/pods/<uid>`.
    var podFolder: URL { root.appendingPathComponent("nodes/\(node)/pods/\(uid)", isDirectory: true) }

    /// The host folder or file of every volume, by name.
    func setUp() throws(Failure) -> [String: String] {
        var paths: [String: String] = [:]
        for volume in pod["spec"]?["volumes"]?.arrayValue ?? [] {
            guard let name = volume["name"]?.stringValue else { continue }
            do {
                paths[name] = try setUp(volume, name: name)
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(message: "MountVolume.SetUp failed for volume \"\(name)\" : \(error)")
            }
        }
        return paths
    }

    private func setUp(_ volume: JSONValue, name: String) throws -> String {
        let fileManager = FileManager.default
        func folder(_ plugin: String) -> URL {
            podFolder.appendingPathComponent("volumes/kubernetes.io~\(plugin)/\(name)", isDirectory: true)
        }
        if volume["emptyDir"] != nil {
            let directory = folder("empty-dir")
            if !fileManager.fileExists(atPath: directory.path) {
                try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
                try fileManager.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
            }
            return directory.path
        }
        if let claim = volume["persistentVolumeClaim"]?["claimName"]?.stringValue {
            guard let bound = claimFolder(claim) else {
                throw Failure(message: "persistentvolumeclaim \"\(claim)\" is not bound")
            }
            let (pv, target) = (bound.volume, bound.folder)
            let directory = podFolder.appendingPathComponent("volumes/kubernetes.io~csi/\(pv)", isDirectory: true)
            let mount = directory.appendingPathComponent("mount")
            try fileManager.createDirectory(at: target, withIntermediateDirectories: true)
            if (try? fileManager.destinationOfSymbolicLink(atPath: mount.path)) != target.path {
                try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
                try? fileManager.removeItem(at: mount)
                try fileManager.createSymbolicLink(at: mount, withDestinationURL: target)
            }
            return target.path
        }
        if let hostPath = volume["hostPath"] {
            let path = hostPath["path"]?.stringValue ?? "/"
            let target = try hostPathTarget(path)
            let type = hostPath["type"]?.stringValue ?? ""
            var isDirectory: ObjCBool = false
            let exists = fileManager.fileExists(atPath: target.path, isDirectory: &isDirectory)
            switch type {
            case "FileOrCreate":
                if !exists {
                    try fileManager.createDirectory(
                        at: target.deletingLastPathComponent(),
                        withIntermediateDirectories: true
                    )
                    _ = fileManager.createFile(atPath: target.path, contents: nil)
                }
            case "Directory", "File", "Socket", "CharDevice", "BlockDevice":
                guard exists else {
                    throw Failure(
                        message: "MountVolume.SetUp failed for volume \"\(name)\" : hostPath type check failed: "
                            + "\(path) is not a \(type.lowercased())"
                    )
                }
            default:
                if !exists { try fileManager.createDirectory(at: target, withIntermediateDirectories: true) }
            }
            return target.path
        }
        if let source = volume["configMap"] {
            return try writeFiles(folder("configmap"), [("configMap", source)], defaultMode: source["defaultMode"])
        }
        if let source = volume["secret"] {
            var reference = source
            reference["name"] = source["secretName"]
            return try writeFiles(folder("secret"), [("secret", reference)], defaultMode: source["defaultMode"])
        }
        if let source = volume["downwardAPI"] {
            return try writeFiles(folder("downward-api"), [("downwardAPI", source)], defaultMode: source["defaultMode"])
        }
        if let source = volume["projected"] {
            let sources = (source["sources"]?.arrayValue ?? []).compactMap { entry -> (String, JSONValue)? in
                guard case .object(let members) = entry, let first = members.elements.first else { return nil }
                return (first.key, first.value)
            }
            return try writeFiles(folder("projected"), sources, defaultMode: source["defaultMode"])
        }
        let kind = volume.objectValue?.keys.first { $0 != "name" } ?? "unknown"
        throw Failure(message: "volume \"\(name)\": the sandbox does not support \(kind) volumes")
    }

    /// Where a `hostPath` volume's path lies on the host: the path itself inside a shared host folder, else
    /// under the node's root `<root>/nodes/<node>/root` (laid out first).
    func hostPathTarget(_ path: String) throws -> URL {
        if Self.isShared(path, in: sharedHostPaths) { return URL(fileURLWithPath: path) }
        try layOutNodeRoot()
        return root.appendingPathComponent("nodes/\(node)/root", isDirectory: true)
            .appendingPathComponent(String(path.drop { $0 == "/" }))
    }

    /// Whether the absolute `path` is one of `shared` folders or inside one (a path with `..` never is).
    static func isShared(_ path: String, in shared: [String]) -> Bool {
        guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { return false }
        return shared.contains { folder in
            let trimmed = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
            return BubblewrapCommand.isWithin(path, trimmed)
        }
    }

    /// The node's root folder `<root>/nodes/<node>/root`, where the kubelet's own folders are the node's:
    /// `var/lib/kubelet/pods` links to `<root>/nodes/<node>/pods` and `var/log/pods` to `<root>/nodes/<node>/logs`.
    private func layOutNodeRoot() throws {
        let fileManager = FileManager.default
        let node = root.appendingPathComponent("nodes/\(node)", isDirectory: true)
        for (link, target) in [("var/lib/kubelet/pods", "pods"), ("var/log/pods", "logs")] {
            let url = node.appendingPathComponent("root/\(link)")
            if (try? fileManager.destinationOfSymbolicLink(atPath: url.path)) != nil { continue }
            try fileManager.createDirectory(at: node.appendingPathComponent(target), withIntermediateDirectories: true)
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let depth = link.split(separator: "/").count
            let relative = String(repeating: "../", count: depth) + target
            try fileManager.createSymbolicLink(atPath: url.path, withDestinationPath: relative)
        }
    }

    /// Writes the files of configMap, secret, downwardAPI and serviceAccountToken sources into `folder`
    /// (replacing what was there), with `items` and modes honoured.
    private func writeFiles(_ folder: URL, _ sources: [(String, JSONValue)], defaultMode: JSONValue?) throws -> String {
        let fileManager = FileManager.default
        var files: [(path: String, data: Data, mode: Int)] = []
        let mode = Int(defaultMode?.intValue ?? 0o644)
        for (kind, source) in sources {
            switch kind {
            case "configMap", "secret":
                let name = source["name"]?.stringValue ?? ""
                let secret = kind == "secret"
                guard let object = lookup(secret ? "secrets" : "configmaps", name) else {
                    if source["optional"]?.boolValue == true { continue }
                    throw Failure(
                        message: "MountVolume.SetUp failed for volume \"\(folder.lastPathComponent)\" : "
                            + "\(secret ? "secret" : "configmap") \"\(name)\" not found"
                    )
                }
                var entries: [(String, Data)] = []
                for (key, value) in object["data"]?.objectValue ?? [:] {
                    guard let text = value.stringValue else { continue }
                    let data = secret ? (Data(base64Encoded: text) ?? Data()) : Data(text.utf8)
                    entries.append((key, data))
                }
                for (key, value) in object["binaryData"]?.objectValue ?? [:] {
                    entries.append((key, Data(base64Encoded: value.stringValue ?? "") ?? Data()))
                }
                if let items = source["items"]?.arrayValue {
                    for item in items {
                        let key = item["key"]?.stringValue ?? ""
                        guard let entry = entries.first(where: { $0.0 == key }) else {
                            if source["optional"]?.boolValue == true { continue }
                            throw Failure(
                                message: "MountVolume.SetUp failed for volume \"\(folder.lastPathComponent)\" : "
                                    + "configmap references non-existent config key: \(key)"
                            )
                        }
                        let itemMode = item["mode"]?.intValue.map(Int.init) ?? mode
                        files.append((item["path"]?.stringValue ?? key, entry.1, itemMode))
                    }
                } else {
                    files += entries.map { ($0.0, $0.1, mode) }
                }
            case "downwardAPI":
                for item in source["items"]?.arrayValue ?? [] {
                    guard let path = item["path"]?.stringValue else { continue }
                    var value = ""
                    if let field = item["fieldRef"]?["fieldPath"]?.stringValue {
                        value = ContainerEnvironment.field(field, of: pod) ?? ""
                    } else if item["resourceFieldRef"] != nil {
                        value = "0"
                    }
                    files.append((path, Data(value.utf8), item["mode"]?.intValue.map(Int.init) ?? mode))
                }
            case "serviceAccountToken":
                files.append((source["path"]?.stringValue ?? "token", Data(token.utf8), mode))
            default:
                continue
            }
        }
        try? fileManager.removeItem(at: folder)
        try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in files {
            let url = folder.appendingPathComponent(file.path)
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.data.write(to: url)
            try fileManager.setAttributes([.posixPermissions: file.mode], ofItemAtPath: url.path)
        }
        return folder.path
    }

    /// Removes the pod's folders (volumes, private `/tmp` folders) and its logs; PV folders stay.
    func tearDown(namespace: String, name: String) {
        try? FileManager.default.removeItem(at: podFolder)
        try? FileManager.default.removeItem(
            at: PodLogLayout.podDirectory(root: root, node: node, namespace: namespace, pod: name, uid: uid)
        )
    }
}
