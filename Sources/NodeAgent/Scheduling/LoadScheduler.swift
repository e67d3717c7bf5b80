/// The node agents' load scheduling as a pure state machine (no I/O, time passed in).
///
/// It models what Velero spreads over every node agent and the API server:
/// - **Acceptance**: every node agent tries to move a New load to Accepted with an optimistic-concurrency
///   update; the first wins, the others see a conflict and drop the load (``Decision/dropped``).
/// - **Prepare queue**: Accepted and Prepared loads carry `velero.io/expose-on-going=true`; while their
///   number is at `prepareQueueLength` (> 0), New loads are requeued after 5 s instead of accepted.
/// - **Per-node capacity**: a Prepared load starts its data path on the node its pod landed on only while
///   that node runs fewer loads than its concurrency; otherwise it is requeued after 5 s. Resumed loads
///   (in progress before a node-agent restart) bypass the limit.
/// - **Prepare timeout**: an Accepted load older than the prepare timeout (default 30 min) fails with
///   Velero's message (`timeout on preparing data upload`).
///
/// ```swift
/// var s = LoadScheduler<ContinuousClock.Instant>(capacity: ["n1": 2], configuration: .init(prepareQueueLength: 10))
/// s.submit("du-1", kind: .dataUpload)
/// s.accept("du-1", by: "n1", at: .now)     // .accepted
/// ```
public struct LoadScheduler<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// Scheduling parameters.
    public struct Configuration: Sendable, Hashable {
        /// Cluster-wide cap on Accepted + Prepared loads; 0 = no cap.
        public var prepareQueueLength: Int
        /// Delay before a refused load is tried again (Velero: 5 s).
        public var requeueDelay: Duration
        /// `--data-mover-prepare-timeout` (Velero: 30 min).
        public var prepareTimeout: Duration

        public init(prepareQueueLength: Int = 0, requeueDelay: Duration = .seconds(5), prepareTimeout: Duration = .seconds(1800)) {
            self.prepareQueueLength = prepareQueueLength
            self.requeueDelay = requeueDelay
            self.prepareTimeout = prepareTimeout
        }
    }

    /// The outcome of a scheduling step.
    public enum Decision: Sendable, Hashable {
        /// The step happened.
        case done
        /// Try again after the delay (queue full, node full); the reason is Velero's log text.
        case requeue(after: Duration, reason: String)
        /// Another node agent already took the load (an optimistic-concurrency conflict): drop it.
        case dropped
        /// The load failed with this message.
        case failed(String)
        /// The step does not apply to the load in its current phase (or the load is unknown).
        case ignored
    }

    /// One load's scheduling state.
    public struct Load: Sendable, Hashable {
        public var kind: LoadKind
        public var phase: LoadPhase
        public var acceptedByNode: String?
        public var acceptedAt: Instant?
        /// The node its data path runs on (`status.node`).
        public var node: String?
        public var cancelRequested: Bool
    }

    public let configuration: Configuration
    /// Per-node concurrency.
    public private(set) var capacity: [String: Int]
    /// Every load by name.
    public private(set) var loads: [String: Load] = [:]
    /// Loads whose data path runs, by node.
    public private(set) var running: [String: Set<String>] = [:]
    /// Names of Accepted and Prepared loads (labelled `velero.io/expose-on-going=true`).
    public private(set) var preparing: Set<String> = []

    /// Creates a scheduler for nodes with the given concurrency.
    public init(capacity: [String: Int], configuration: Configuration = .init()) {
        self.capacity = capacity
        self.configuration = configuration
    }

    /// The number of loads running on `node`.
    public func runningCount(on node: String) -> Int { running[node]?.count ?? 0 }

    /// Adds a New load.
    public mutating func submit(_ name: String, kind: LoadKind) {
        guard loads[name] == nil else { return }
        loads[name] = Load(kind: kind, phase: .new, acceptedByNode: nil, acceptedAt: nil, node: nil, cancelRequested: false)
    }

    /// A node agent tries to accept a New load.
    public mutating func accept(_ name: String, by node: String, at now: Instant) -> Decision {
        guard var load = loads[name] else { return .ignored }
        guard load.phase == .new else { return load.acceptedByNode == nil ? .ignored : .dropped }
        if load.cancelRequested {
            load.phase = .canceled
            loads[name] = load
            return .failed("canceled before it was accepted")
        }
        let limit = configuration.prepareQueueLength
        if limit > 0 && preparing.count >= limit {
            return .requeue(
                after: configuration.requeueDelay,
                reason: "the prepare queue is full (\(preparing.count) of \(limit) loads are being prepared), requeue later")
        }
        load.phase = .accepted
        load.acceptedByNode = node
        load.acceptedAt = now
        loads[name] = load
        preparing.insert(name)
        return .done
    }

    /// The load's hosting pod is running on `node`: Accepted → Prepared.
    public mutating func markPrepared(_ name: String, on node: String) -> Decision {
        guard var load = loads[name], load.phase == .accepted else { return .ignored }
        load.phase = .prepared
        load.node = node
        loads[name] = load
        return .done
    }

    /// The node the load is prepared on tries to start its data path: Prepared → InProgress when the node has
    /// room (or `resumed`), else requeue.
    public mutating func start(_ name: String, resumed: Bool = false) -> Decision {
        guard var load = loads[name], let node = load.node else { return .ignored }
        guard load.phase == .prepared || (resumed && load.phase == .inProgress) else { return .ignored }
        if load.cancelRequested {
            finish(name, phase: .canceled)
            return .failed("canceled before its data path started")
        }
        let limit = capacity[node] ?? 1
        if !resumed && runningCount(on: node) >= limit {
            return .requeue(after: configuration.requeueDelay, reason: "Data path instance is concurrent limited requeue later")
        }
        load.phase = .inProgress
        loads[name] = load
        preparing.remove(name)
        running[node, default: []].insert(name)
        return .done
    }

    /// The load reached a final phase (its data path finished, failed or was canceled).
    public mutating func finish(_ name: String, phase: LoadPhase) {
        guard var load = loads[name], phase.isFinal, !load.phase.isFinal else { return }
        load.phase = phase
        loads[name] = load
        preparing.remove(name)
        if let node = load.node { running[node]?.remove(name) }
    }

    /// `spec.cancel = true`: New/Accepted/Prepared loads are canceled at their next step; InProgress ones
    /// move to Canceling until their data path stops (then ``finish(_:phase:)`` with `.canceled`).
    public mutating func cancel(_ name: String) {
        guard var load = loads[name], !load.phase.isFinal else { return }
        load.cancelRequested = true
        switch load.phase {
        case .accepted, .prepared:
            load.phase = .canceled
            preparing.remove(name)
        case .inProgress:
            load.phase = .canceling
        default:
            break
        }
        loads[name] = load
    }

    /// Fails every Accepted load older than the prepare timeout; returns their names and messages.
    public mutating func expirePrepares(at now: Instant) -> [(name: String, message: String)] {
        var expired: [(String, String)] = []
        for (name, load) in loads where load.phase == .accepted {
            guard let at = load.acceptedAt, at.duration(to: now) >= configuration.prepareTimeout else { continue }
            finish(name, phase: .failed)
            expired.append((name, load.kind.prepareTimeoutMessage))
        }
        return expired.sorted { $0.0 < $1.0 }
    }
}
