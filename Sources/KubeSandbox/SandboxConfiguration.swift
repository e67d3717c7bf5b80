public import Foundation
public import Kubernetes

/// How a ``Sandbox`` is started.
///
/// ```swift
/// let sandbox = try await Sandbox.start(SandboxConfiguration(port: 0, dataDirectory: nil, nodes: 1, seed: nil))
/// ```
public struct SandboxConfiguration: Sendable {
    /// What `--seed` creates.
    public enum Seed: String, Sendable, CaseIterable {
        /// Namespace `demo` with a Deployment and its Pod, a Service, a ConfigMap, a Secret, a PVC with files,
        /// a ServiceAccount with a RoleBinding, a CRD and one custom resource of it.
        case demo
    }

    /// A CustomResourceDefinition the sandbox creates on start (when missing).
    public struct CustomResource: Sendable, Hashable {
        /// The `apiextensions.k8s.io/v1` CustomResourceDefinition object, without server-set metadata.
        public var definition: JSONValue
        /// Whether writes to the main endpoint keep the `status` they carry, as writes to `/status` do (a real
        /// API server drops it). Velero's kinds get it: Velero and its clones write status through either.
        public var mainEndpointWritesStatus: Bool

        /// Describes a definition.
        public init(_ definition: JSONValue, mainEndpointWritesStatus: Bool = false) {
            self.definition = definition
            self.mainEndpointWritesStatus = mainEndpointWritesStatus
        }
    }

    /// TCP port on 127.0.0.1; 0 picks a free port.
    public var port: Int
    /// Where state persists (append-only log, PV folders, kubelet-like pod paths). `nil` = in memory only;
    /// PV folders then live in a temporary directory that is removed on stop.
    public var dataDirectory: URL?
    /// Number of Ready nodes (`sandbox-node-1` ...).
    public var nodes: Int
    /// Optional sample application created on start (only into an empty store).
    public var seed: Seed?
    /// Bearer token accepted by the server; `nil` generates a random one (or reuses the persisted one).
    public var token: String?
    /// Number of watch events kept for watches from an older resourceVersion.
    public var watchHistory: Int
    /// Largest request body accepted (bigger bodies get 413).
    public var maxRequestBodyBytes: Int
    /// Interval of BOOKMARK events on watches that asked for them.
    public var bookmarkInterval: Duration
    /// With a data directory: the log is compacted while running once it grew by this many bytes (and by
    /// twice its last compacted size).
    public var logCompactionBytes: Int
    /// Added to every write (POST, PUT, PATCH, DELETE) before it is applied, like the consensus commit of a
    /// real API server's etcd (typically 2–10 ms). Zero (the default) answers as fast as the process can.
    /// Reads and watches are not delayed. Benchmarks use it to measure latency-bound clients.
    public var writeLatency: Duration
    /// CustomResourceDefinitions created on start. The sandbox knows no custom kinds of its own: the CLI, the
    /// bench and tests pass the velero.io and CSI snapshot kinds (VeleroAPI's `VeleroCRDs`).
    public var customResources: [CustomResource]
    /// Host programs that stand in for container images (the sandbox pulls no images): image → absolute path of
    /// an executable. A key without tag or digest (`velero/velero`) matches every tag and digest of that
    /// repository; a key with a tag (`velero/velero:v1.18.0`) only that one, and wins. Docker Hub names are
    /// normalised (`nginx` = `docker.io/library/nginx`). A container of a mapped image runs the program as its
    /// entrypoint: the program replaces `command[0]` (unless `command[0]` exists on the host), `args` follow.
    /// ``lifeboatImage`` is the name Lifeboat's own pods use; the CLI maps it to the running `lifeboat`.
    public var imageCommands: [String: String]
    /// Host folders shared by every node at the same path, like a network filesystem mounted on each node of a
    /// real cluster (absolute paths). A pod's `hostPath` volume whose path is one of them or inside one is that
    /// host path itself; any other `hostPath` is private to its node (`<data>/nodes/<node>/root/…`). Lifeboat's
    /// `filesystem` backup storage locations need their bucket folder shared so that the node agents' hosting
    /// pods reach it (`lifeboat sandbox serve --share-host-path`).
    public var sharedHostPaths: [String]

    /// The image name of Lifeboat's own pods (node agent, data movers, server), without tag.
    public static let lifeboatImage = "ghcr.io/lifeboat/lifeboat"

    /// Creates a configuration.
    public init(
        port: Int = 0,
        dataDirectory: URL? = nil,
        nodes: Int = 1,
        seed: Seed? = nil,
        token: String? = nil,
        watchHistory: Int = 20_000,
        maxRequestBodyBytes: Int = 3 * 1024 * 1024,
        bookmarkInterval: Duration = .seconds(10),
        logCompactionBytes: Int = 64 << 20,
        writeLatency: Duration = .zero,
        customResources: [CustomResource] = [],
        imageCommands: [String: String] = [:],
        sharedHostPaths: [String] = []
    ) {
        self.port = port
        self.dataDirectory = dataDirectory
        self.nodes = nodes
        self.seed = seed
        self.token = token
        self.watchHistory = watchHistory
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.bookmarkInterval = bookmarkInterval
        self.logCompactionBytes = logCompactionBytes
        self.writeLatency = writeLatency
        self.customResources = customResources
        self.imageCommands = imageCommands
        self.sharedHostPaths = sharedHostPaths
    }

    /// Checks ranges.
    func validate() throws {
        guard (0...65535).contains(port) else {
            throw SandboxError(.invalidConfiguration, "port \(port) is not in 0...65535")
        }
        guard (0...1000).contains(nodes) else {
            throw SandboxError(.invalidConfiguration, "nodes \(nodes) is not in 0...1000")
        }
        guard watchHistory >= 100 else {
            throw SandboxError(.invalidConfiguration, "watchHistory \(watchHistory) must be at least 100")
        }
        for (image, program) in imageCommands where image.isEmpty || !program.hasPrefix("/") {
            throw SandboxError(
                .invalidConfiguration,
                "image command \(image)=\(program): the image must be named and the program an absolute path"
            )
        }
        for path in sharedHostPaths where !path.hasPrefix("/") || path.split(separator: "/").contains("..") {
            throw SandboxError(
                .invalidConfiguration,
                "shared host path \(path.debugDescription) is not an absolute path without \"..\""
            )
        }
        guard writeLatency >= .zero, writeLatency <= .seconds(10) else {
            throw SandboxError(.invalidConfiguration, "writeLatency \(writeLatency) is not in 0...10s")
        }
    }
}
