import Foundation

/// What a fuzz run saw, per target.
package struct FuzzStatistics: Sendable, Codable, Equatable {
    /// An input worth a look that did not crash: slow, or memory-hungry.
    package struct Finding: Sendable, Codable, Equatable {
        package var iteration: Int
        /// Seconds for slow inputs, bytes of resident-memory growth for memory findings.
        package var measure: Double
    }

    package var execs = 0
    package var accepted = 0
    /// Inputs the parser refused with an error.
    package var rejected = 0
    /// Rejections whose error is not a Lifeboat error with a message (see ``RejectionClarity``).
    package var unclear = 0
    package var unclearSample: String?
    /// Accepted inputs for which a target's extra check failed (see ``FuzzOracleFailure``).
    package var oracleFailures = 0
    package var oracleSample: String?
    package var slow: [Finding] = []
    package var memory: [Finding] = []
    package var seconds = 0.0

    package init() {}

    /// Adds another run's counts (the parent adds up the runs of restarted children).
    package mutating func add(_ other: FuzzStatistics) {
        execs += other.execs
        accepted += other.accepted
        rejected += other.rejected
        unclear += other.unclear
        unclearSample = unclearSample ?? other.unclearSample
        oracleFailures += other.oracleFailures
        oracleSample = oracleSample ?? other.oracleSample
        slow += other.slow
        memory += other.memory
        seconds += other.seconds
    }
}

/// Hooks around each input, for the child process's crash and hang bookkeeping.
package protocol FuzzObserver: Sendable {
    /// Called before input `iteration` runs.
    func willRun(iteration: Int, input: [UInt8])
    /// Called after it ran; returns the highest resident size seen while it ran, if measured.
    func didRun(iteration: Int) -> Int?
    /// Called for a slow or memory-hungry input.
    func record(_ kind: String, iteration: Int, input: [UInt8])
}

/// Runs a target over a range of input numbers in this process, timing each input and watching memory.
///
/// ```swift
/// let stats = await FuzzRunner().run(target, iterations: 0..<500, seed: 1)
/// ```
package struct FuzzRunner: Sendable {
    /// An input slower than this is reported as slow.
    package var slowThreshold: Duration
    /// An input whose processing grows the resident size by more than this is reported.
    package var memoryBound: Int
    package var observer: (any FuzzObserver)?

    package init(
        slowThreshold: Duration = .seconds(1),
        memoryBound: Int = 256 << 20,
        observer: (any FuzzObserver)? = nil
    ) {
        self.slowThreshold = slowThreshold
        self.memoryBound = memoryBound
        self.observer = observer
    }

    /// Runs inputs `iterations` of `target`.
    /// - Parameter corpus: the target's corpus when already built (built here otherwise).
    package func run(
        _ target: FuzzTarget,
        iterations: Range<Int>,
        seed: UInt64,
        corpus: [[UInt8]]? = nil
    ) async throws -> FuzzStatistics {
        let inputs: [[UInt8]]
        if let corpus { inputs = corpus } else { inputs = try await target.corpus() }
        precondition(!inputs.isEmpty, "fuzz target \(target.name) has an empty corpus")
        var stats = FuzzStatistics()
        let clock = ContinuousClock()
        let started = clock.now
        for iteration in iterations {
            let input = target.input(number: iteration, seed: seed, corpus: inputs)
            observer?.willRun(iteration: iteration, input: input)
            let before = ProcessMemory.residentBytes()
            let start = clock.now
            do {
                try await target.run(input)
                stats.accepted += 1
            } catch let failure as FuzzOracleFailure {
                stats.oracleFailures += 1
                if stats.oracleSample == nil { stats.oracleSample = failure.description }
                observer?.record("oracle", iteration: iteration, input: input)
            } catch {
                stats.rejected += 1
                if case .unclear(let text) = RejectionClarity(error) {
                    stats.unclear += 1
                    if stats.unclearSample == nil { stats.unclearSample = text }
                }
            }
            let elapsed = clock.now - start
            stats.execs += 1
            let peak = observer?.didRun(iteration: iteration) ?? ProcessMemory.residentBytes()
            if elapsed > slowThreshold {
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                stats.slow.append(.init(iteration: iteration, measure: seconds))
                observer?.record("slow", iteration: iteration, input: input)
            }
            if peak - before > memoryBound {
                stats.memory.append(.init(iteration: iteration, measure: Double(peak - before)))
                observer?.record("memory", iteration: iteration, input: input)
            }
        }
        let total = clock.now - started
        stats.seconds = Double(total.components.seconds) + Double(total.components.attoseconds) * 1e-18
        return stats
    }
}
