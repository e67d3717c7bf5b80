/// Counters of one node agent's controllers, for tests, logs and the benchmark.
package struct NodeAgentStatistics: Sendable, Hashable {
    /// Reconciles run (scheduling decisions).
    package var reconciles = 0
    /// Wall time spent in reconciles, API calls included.
    package var reconcileTime: Duration = .zero
    /// Loads this node accepted.
    package var accepted = 0
    /// Acceptance races this node lost (conflict or ticket taken by another node).
    package var acceptLost = 0
    /// Requeues because the prepare queue was full.
    package var queueFull = 0
    /// New loads held back because no admitted node had a free slot (capacity-aware placement).
    package var noFreeSlot = 0
    /// Requeues because this node ran as many data paths as its concurrency.
    package var nodeFull = 0
    /// Data paths started (resumed ones included).
    package var dataPathsStarted = 0
    /// Data paths resumed after a restart.
    package var dataPathsResumed = 0
    /// Loads this node completed.
    package var completed = 0
    /// Write conflicts seen (other than lost acceptance races).
    package var conflicts = 0
    /// Prepare-queue slots this node agent's cache showed free that another node agent had taken (the
    /// create was refused; the next free slot is tried).
    package var ticketConflicts = 0

    package init() {}

    /// Adds another node agent's counters.
    package static func + (a: NodeAgentStatistics, b: NodeAgentStatistics) -> NodeAgentStatistics {
        var s = a
        s.reconciles += b.reconciles
        s.reconcileTime += b.reconcileTime
        s.accepted += b.accepted
        s.acceptLost += b.acceptLost
        s.queueFull += b.queueFull
        s.nodeFull += b.nodeFull
        s.noFreeSlot += b.noFreeSlot
        s.dataPathsStarted += b.dataPathsStarted
        s.dataPathsResumed += b.dataPathsResumed
        s.completed += b.completed
        s.conflicts += b.conflicts
        s.ticketConflicts += b.ticketConflicts
        return s
    }
}
