/// Polls `condition` until it holds; throws ``TestTimeoutError`` naming `what` when it does not by the deadline.
///
/// The deadline is generous on purpose (the whole suite runs in parallel on two cores, and a sandbox
/// controller can wait seconds for its turn): the wait ends as soon as the condition holds, so a generous
/// deadline costs nothing when things work. Use it for something that must happen; to show that something
/// did not happen, wait for a later event that proves it (see ``settleSandboxControllers(_:)``).
///
/// ```swift
/// try await waitUntil("pod app Running") {
///     try await client.get(.pods, namespace: "apps", name: "app")["status"]?["phase"] == "Running"
/// }
/// ```
///
/// - Parameters:
///   - what: what is awaited, for the error (`timed out after 60 seconds waiting for <what>`).
///   - timeout: how long to poll.
///   - interval: the pause between polls.
///   - condition: the check; an error it throws ends the wait with that error.
public func waitUntil(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(60),
    interval: Duration = .milliseconds(20),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        guard clock.now < deadline else { throw TestTimeoutError(what: what(), timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

/// A condition a test waited for did not hold within its deadline.
public struct TestTimeoutError: Error, CustomStringConvertible {
    /// What was awaited.
    public var what: String
    /// How long the test waited.
    public var timeout: Duration

    /// An error for a wait of `timeout` for `what`.
    public init(what: String, timeout: Duration) {
        self.what = what
        self.timeout = timeout
    }

    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}
