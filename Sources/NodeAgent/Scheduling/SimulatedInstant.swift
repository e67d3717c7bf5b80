/// A point on a simulated timeline (a `Duration` since its start), for driving ``LoadScheduler`` without a clock.
public struct SimulatedInstant: InstantProtocol, Sendable, Hashable, Comparable {
    /// Time since the start of the simulation.
    public var offset: Duration

    public init(offset: Duration = .zero) { self.offset = offset }

    public func advanced(by duration: Duration) -> SimulatedInstant { SimulatedInstant(offset: offset + duration) }
    public func duration(to other: SimulatedInstant) -> Duration { other.offset - offset }
    public static func < (lhs: SimulatedInstant, rhs: SimulatedInstant) -> Bool { lhs.offset < rhs.offset }
}
