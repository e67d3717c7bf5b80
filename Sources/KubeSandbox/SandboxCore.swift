import Foundation
import Kubernetes
import Logging
import NIOCore
import Synchronization

/// The API semantics of the sandbox, independent of HTTP: create, update, patch, delete, get and list
/// with kube-apiserver's rules. The HTTP handler, the controllers and the seeder all go through it.
final class SandboxCore: Sendable {
    let configuration: SandboxConfiguration
    let store: SandboxStore
    let registry: ResourceRegistry
    let logger: Logger
    let token: String
    let faults: FaultInjector
    /// The kubelet stand-in's exec access to running containers (empty until containers can run).
    let containers = ContainerHostSlot()
    /// Writes waiting out ``SandboxConfiguration/writeLatency`` right now.
    let writesInCommit = Atomic<Int>(0)
    /// Root for PV folders and kubelet-like pod paths.
    let volumesRoot: URL
    private let serviceIPs = Mutex<Int>(1)
    private let addressState = Mutex<String>("127.0.0.1:0")

    /// `127.0.0.1:PORT` once the server listens (for discovery's serverAddressByClientCIDRs).
    var serverAddress: String {
        get { addressState.withLock { $0 } }
        set { addressState.withLock { $0 = newValue } }
    }

    init(
        configuration: SandboxConfiguration,
        store: SandboxStore,
        registry: ResourceRegistry,
        token: String,
        volumesRoot: URL,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.registry = registry
        self.token = token
        self.volumesRoot = volumesRoot
        self.logger = logger
        faults = FaultInjector()
    }

    /// The current time as the API writes it (`2026-11-21T16:46:33Z`).
    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601)
    }

    /// The next free ClusterIP in 10.0.0.0/16.
    func allocateClusterIP() -> String {
        let n = serviceIPs.withLock { value -> Int in
            value += 1
            return value
        }
        return "10.0.\(n / 250).\(n % 250 + 1)"
    }

    /// Type lookup by storage key and any served version (the first one).
    func type(storageKey: String) -> ResourceType? {
        registry.type(storageKey: storageKey)
    }
}

/// Options common to writes.
struct WriteOptions: Sendable {
    var dryRun = false
    var fieldManager: String?
    var force = false

    static let system = WriteOptions(fieldManager: "lifeboat-sandbox")
}

/// The outcome of a write: the object (full JSON) and the HTTP status.
struct WriteResult: Sendable {
    var status: Int
    var body: JSONOrBytes
}

/// A response body either already encoded (spliced from the store) or to be encoded.
enum JSONOrBytes: Sendable {
    case bytes(ByteBuffer)
    case json(JSONValue)
}
