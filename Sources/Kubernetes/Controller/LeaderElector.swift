import Foundation
public import Logging
import ServiceLifecycle
import Synchronization

/// Leader election on a `coordination.k8s.io/v1` Lease with client-go's semantics
/// (`tools/leaderelection`): at most one elector leads at a time; a leader that cannot renew within the
/// renew deadline stops leading; a Lease held by another holder is respected until it expires as observed
/// by this elector's clock (the time it last saw the record change plus the record's lease duration, not
/// the remote renewTime, so clock skew between processes does not matter).
///
/// ```swift
/// let elector = LeaderElector(client: client, configuration: .init(
///     leaseName: "lifeboat-server", namespace: "velero", identity: hostname), logger: logger)
/// try await elector.withLeadership { try await controllers.run() }
/// ```
public final class LeaderElector<C: Clock>: Sendable where C.Duration == Duration {
    /// The Lease and the timing, client-go's defaults.
    public struct Configuration: Sendable {
        public var leaseName: String
        public var namespace: String
        /// This elector's identity (unique among the candidates, e.g. the pod name).
        public var identity: String
        /// How long non-leaders wait after the last observed change before taking over (client-go: 15 s).
        public var leaseDuration: Duration
        /// How long the leader keeps retrying a renewal before it stops leading (client-go: 10 s).
        public var renewDeadline: Duration
        /// The wait between attempts to acquire or renew (client-go: 2 s).
        public var retryPeriod: Duration
        /// Up to this fraction of `retryPeriod` is added at random to each wait to acquire (client-go: 1.2).
        public var jitterFactor: Double
        /// Clear the holder when leadership ends by cancellation or by the body returning, so another
        /// candidate takes over at once (client-go's `ReleaseOnCancel`).
        public var releaseOnCancel: Bool

        public init(
            leaseName: String,
            namespace: String,
            identity: String,
            leaseDuration: Duration = .seconds(15),
            renewDeadline: Duration = .seconds(10),
            retryPeriod: Duration = .seconds(2),
            jitterFactor: Double = 1.2,
            releaseOnCancel: Bool = true
        ) {
            self.leaseName = leaseName
            self.namespace = namespace
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
            self.jitterFactor = jitterFactor
            self.releaseOnCancel = releaseOnCancel
        }
    }

    struct Observed {
        /// The last record read or written, the Lease it came in, and when (on this elector's clock) the
        /// record was last seen to change.
        var record: LeaderElectionRecord?
        var lease: KubeObject?
        var time: C.Instant?
    }

    public let configuration: Configuration
    let client: KubeClient
    let clock: C
    let logger: Logger
    let observed = Mutex(Observed())

    /// Creates an elector; nothing happens before ``withLeadership(_:)``.
    public init(client: KubeClient, configuration: Configuration, clock: C, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        var logger = logger
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.leaseName)"
        logger[metadataKey: "identity"] = "\(configuration.identity)"
        self.logger = logger
    }

    /// Whether the last observed record names this elector as the holder (client-go's `IsLeader`).
    public var isLeader: Bool { observed.withLock { $0.record?.holderIdentity == configuration.identity } }

    /// The holder in the last observed record (nil or "": none).
    public var leader: String? { observed.withLock { $0.record?.holderIdentity } }

    /// Waits until this elector holds the Lease, then runs `body` while renewing it.
    ///
    /// When the renewal fails for the renew deadline, `body` is cancelled and ``KubeError`` `.leadershipLost`
    /// is thrown. When `body` returns or throws, or the task is cancelled, the Lease is released (holder
    /// cleared) if ``Configuration/releaseOnCancel`` is set, and the outcome of `body` is returned or thrown.
    /// A graceful shutdown stops the wait for the Lease; once leading, `body` sees it and should return.
    ///
    /// - Throws: `CancellationError` when cancelled (or shut down gracefully) while waiting; `.leadershipLost`;
    ///   what `body` throws.
    public func withLeadership(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await cancelWhenGracefulShutdown { try await self.acquire() }
        logger.debug("leading")
        let outcome: LeadershipOutcome
        do {
            outcome = try await withThrowingTaskGroup(of: LeadershipOutcome.self) { group in
                group.addTask {
                    try await body()
                    return .finished
                }
                group.addTask { await self.renewUntilLost() ? .lost : .cancelled }
                defer { group.cancelAll() }
                return try await group.next() ?? .finished
            }
        } catch {
            await releaseDetached()
            throw error
        }
        switch outcome {
        case .finished:
            await releaseDetached()
        case .cancelled:
            await releaseDetached()
            throw CancellationError()
        case .lost:
            logger.debug("leadership lost")
            throw KubeError(
                code: .leadershipLost,
                message: "lease \(configuration.namespace)/\(configuration.leaseName): \(configuration.identity) "
                    + "could not renew it within \(configuration.renewDeadline)"
            )
        }
    }

    // MARK: Acquiring and renewing

    /// Tries to acquire the Lease every retry period (with jitter) until it succeeds.
    func acquire() async throws {
        while true {
            try Task.checkCancellation()
            if await attempt() { return }
            let jitter = configuration.retryPeriod * (Double.random(in: 0..<1) * configuration.jitterFactor)
            try await clock.sleep(until: clock.now.advanced(by: configuration.retryPeriod + jitter), tolerance: nil)
        }
    }

    /// Renews every retry period until a renewal does not succeed within the renew deadline (returns true)
    /// or the task is cancelled (returns false).
    func renewUntilLost() async -> Bool {
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: clock.now.advanced(by: configuration.retryPeriod), tolerance: nil)
            } catch {
                return false
            }
            let deadline = clock.now.advanced(by: configuration.renewDeadline)
            guard await renew(before: deadline) else { return !Task.isCancelled }
        }
        return false
    }

    /// Tries to renew every retry period until one attempt succeeds (true) or `deadline` passes (false).
    private func renew(before deadline: C.Instant) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    if await self.attempt() { return true }
                    let next = self.clock.now.advanced(by: self.configuration.retryPeriod)
                    guard next < deadline else { break }
                    do { try await self.clock.sleep(until: next, tolerance: nil) } catch { return false }
                }
                // Wait out the deadline so the race below is decided by it.
                try? await self.clock.sleep(until: deadline, tolerance: nil)
                return false
            }
            group.addTask {
                try? await self.clock.sleep(until: deadline, tolerance: nil)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
    }

    /// One `tryAcquireOrRenew`; false on any error.
    private func attempt() async -> Bool {
        do {
            return try await tryAcquireOrRenew()
        } catch {
            if !Task.isCancelled {
                logger.debug("lease acquire or renew failed", metadata: ["error": "\(error)"])
            }
            return false
        }
    }
}

/// How a term of leadership ended.
private enum LeadershipOutcome: Sendable {
    /// The body returned.
    case finished
    /// A renewal did not succeed within the renew deadline.
    case lost
    /// The task was cancelled.
    case cancelled
}

extension LeaderElector where C == ContinuousClock {
    /// An elector on the continuous clock.
    public convenience init(client: KubeClient, configuration: Configuration, logger: Logger) {
        self.init(client: client, configuration: configuration, clock: ContinuousClock(), logger: logger)
    }
}
