import Synchronization
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

    @Test func urgentKeysGoFirstAndAQueuedKeyThatBecomesUrgentMovesUp() async throws {
        let urgent = Mutex<Set<String>>(["u1", "u2"])
        let queue = WorkQueue<String>(isUrgent: { key in urgent.withLock { $0.contains(key) } })
        for key in ["n1", "u1", "n2", "n3", "u2"] { queue.add(key) }
        // n3 becomes urgent while it waits: adding it again moves it up (behind the urgent keys queued before).
        urgent.withLock { _ = $0.insert("n3") }
        queue.add("n3")
        var order: [String] = []
        for _ in 0..<5 {
            guard let key = await Self.next(queue, within: .seconds(5)) else { break }
            order.append(key)
            queue.done(key)
        }
        #expect(order == ["u1", "u2", "n3", "n1", "n2"])
        // Its old place in the other lane is not served again.
        #expect(await Self.next(queue, within: .milliseconds(100)) == nil)
        #expect(queue.pendingCount == 0)
    }

    @Test func aKeyAddedWhileProcessedIsQueuedOnceInTheLaneItWasLastAddedTo() async throws {
        let urgent = Mutex<Set<String>>([])
        let queue = WorkQueue<String>(isUrgent: { key in urgent.withLock { $0.contains(key) } })
        queue.add("a")
        queue.add("b")
        #expect(await Self.next(queue, within: .seconds(5)) == "a")
        // While "a" is processed it is added again, as urgent this time: it comes back before "b".
        urgent.withLock { _ = $0.insert("a") }
        queue.add("a")
        queue.add("a")
        queue.done("a")
        #expect(await Self.next(queue, within: .seconds(5)) == "a")
        queue.done("a")
        #expect(await Self.next(queue, within: .seconds(5)) == "b")
        queue.done("b")
        #expect(await Self.next(queue, within: .milliseconds(100)) == nil)
    }
}
