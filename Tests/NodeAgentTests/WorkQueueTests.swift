import Testing

@testable import NodeAgent

/// The work queue's delayed keys: queued at their deadline, in deadline order, without polling.
struct WorkQueueTests {
    /// Takes the next key, or nil when none comes within `limit`.
    static func next(_ queue: WorkQueue<String>, within limit: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await queue.next() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test func delayedKeysArriveAtTheirDeadlineEvenWhenAnEarlierOneIsAddedDuringALongSleep() async throws {
        let queue = WorkQueue<String>(tolerance: .milliseconds(5))
        let runner = Task { await queue.runDelays() }
        defer { runner.cancel() }
        let clock = ContinuousClock()
        let start = clock.now
        // The runner goes to sleep until the far deadline; a nearer one added later must wake it.
        queue.add("late", after: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        queue.add("soon", after: .milliseconds(100))
        queue.add("sooner", after: .milliseconds(60))
        #expect(await Self.next(queue, within: .seconds(5)) == "sooner")
        queue.done("sooner")
        #expect(await Self.next(queue, within: .seconds(5)) == "soon")
        queue.done("soon")
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(150))
        #expect(elapsed < .seconds(5))
        // Nothing else is due for 30 s.
        #expect(await Self.next(queue, within: .milliseconds(200)) == nil)
        #expect(queue.pendingCount == 1)
    }

    @Test func shutDownEndsASleepingDelayRunner() async {
        let queue = WorkQueue<String>()
        let runner = Task { await queue.runDelays() }
        queue.add("far", after: .seconds(3600))
        try? await Task.sleep(for: .milliseconds(20))
        queue.shutDown()
        await runner.value
        #expect(await queue.next() == nil)
    }

    @Test func anIdleRunnerWakesForTheFirstDelayedKey() async {
        let queue = WorkQueue<String>()
        let runner = Task { await queue.runDelays() }
        defer { runner.cancel() }
        try? await Task.sleep(for: .milliseconds(20))
        queue.add("a", after: .milliseconds(30))
        #expect(await Self.next(queue, within: .seconds(5)) == "a")
    }
}
