import Kubernetes
import KubernetesTesting
import Synchronization
import Testing

/// The work queue on a manual clock: no sleeps, no wall time.
struct WorkQueueTests {
    typealias Queue = WorkQueue<String, ManualClock>

    /// Runs `body` with a queue whose delay timer runs beside it; shuts the queue down afterwards.
    func withQueue(
        backoff: Queue.Backoff = .init(),
        _ body: (Queue, ManualClock) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let queue = Queue(clock: clock, backoff: backoff)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.runDelays() }
            do {
                try await body(queue, clock)
            } catch {
                queue.shutDown()
                throw error
            }
            queue.shutDown()
            try await group.waitForAll()
        }
    }

    @Test func deduplicatesAndServesFirstInFirstOut() async throws {
        let queue = Queue(clock: ManualClock())
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.readyCount == 2)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "b")
        #expect(queue.readyCount == 0)
        #expect(queue.processingCount == 2)
    }

    @Test func aKeyBeingProcessedIsNotHandedOutTwice() async throws {
        let queue = Queue(clock: ManualClock())
        queue.add("a")
        #expect(await queue.next() == "a")
        queue.add("a")  // changed while processed: comes back after done
        queue.add("b")
        #expect(queue.readyCount == 1)
        #expect(await queue.next() == "b")  // "a" is skipped while it is processed
        queue.done("a")
        #expect(queue.readyCount == 1)
        #expect(await queue.next() == "a")
        queue.done("a")
        queue.done("b")
        #expect(queue.readyCount == 0 && queue.processingCount == 0)
    }

    @Test func aWaitingWorkerGetsTheKeyAddedLater() async throws {
        let queue = Queue(clock: ManualClock())
        async let taken = queue.next()
        queue.add("late")
        #expect(await taken == "late")
    }

    @Test func urgentKeysGoFirst() async throws {
        let queue = Queue(clock: ManualClock(), isUrgent: { $0.hasPrefix("!") })
        queue.add("a")
        queue.add("b")
        queue.add("!c")
        #expect(await queue.next() == "!c")
        #expect(await queue.next() == "a")
    }

    @Test func aQueuedKeyThatBecomesUrgentMovesUpAndIsServedOnce() async throws {
        let urgent = Mutex<Set<String>>(["u1", "u2"])
        let queue = Queue(clock: ManualClock(), isUrgent: { key in urgent.withLock { $0.contains(key) } })
        for key in ["n1", "u1", "n2", "n3", "u2"] { queue.add(key) }
        // n3 becomes urgent while it waits: adding it again moves it up (behind the urgent keys queued before).
        urgent.withLock { _ = $0.insert("n3") }
        queue.add("n3")
        var order: [String] = []
        for _ in 0..<5 {
            guard let key = await queue.next() else { break }
            order.append(key)
            queue.done(key)
        }
        #expect(order == ["u1", "u2", "n3", "n1", "n2"])
        // Its old place in the other lane is not served again.
        #expect(queue.readyCount == 0)
    }

    @Test func aKeyAddedWhileProcessedComesBackOnceInTheLaneItWasLastAddedTo() async throws {
        let urgent = Mutex<Set<String>>([])
        let queue = Queue(clock: ManualClock(), isUrgent: { key in urgent.withLock { $0.contains(key) } })
        queue.add("a")
        queue.add("b")
        #expect(await queue.next() == "a")
        // While "a" is processed it is added again, as urgent this time: it comes back before "b", once.
        urgent.withLock { _ = $0.insert("a") }
        queue.add("a")
        queue.add("a")
        queue.done("a")
        #expect(await queue.next() == "a")
        queue.done("a")
        #expect(await queue.next() == "b")
        queue.done("b")
        #expect(queue.readyCount == 0)
    }

    @Test func delayedKeysArriveAtTheirDeadlineAndNotBefore() async throws {
        try await withQueue { queue, clock in
            queue.add("a", after: .seconds(5))
            #expect(queue.delayedCount == 1)
            await clock.waitForSleepers(1)  // the timer sleeps until the deadline
            clock.advance(by: .seconds(5) - .milliseconds(1))
            // The timer is woken only at the deadline: nothing can have moved the key.
            #expect(queue.readyCount == 0)
            #expect(queue.delayedCount == 1)
            #expect(clock.sleeperCount == 1)
            clock.advance(by: .milliseconds(1))
            #expect(await queue.next() == "a")
            #expect(queue.delayedCount == 0)
        }
    }

    @Test func anEarlierDeadlineWakesTheSleepingTimer() async throws {
        try await withQueue { queue, clock in
            queue.add("late", after: .seconds(10))
            await clock.waitForSleepers(1)
            queue.add("early", after: .seconds(2))
            clock.advance(by: .seconds(2))
            #expect(await queue.next() == "early")
            #expect(queue.delayedCount == 1)
            clock.advance(by: .seconds(8))
            #expect(await queue.next() == "late")
        }
    }

    @Test func aKeyDelayedTwiceKeepsTheEarlierDeadline() async throws {
        try await withQueue { queue, clock in
            queue.add("a", after: .seconds(5))
            queue.add("a", after: .seconds(2))
            queue.add("a", after: .seconds(9))
            #expect(queue.delayedCount == 1)
            clock.advance(by: .seconds(2))
            #expect(await queue.next() == "a")
            #expect(queue.delayedCount == 0)
        }
    }

    @Test func backoffDoublesAndCaps() {
        let backoff = Queue.Backoff()
        #expect(backoff.base == .milliseconds(5))
        #expect(backoff.maximum == .seconds(1000))
        #expect((0..<5).map { backoff.delay(failures: $0) } == [5, 10, 20, 40, 80].map { .milliseconds($0) })
        #expect(backoff.delay(failures: 17) == .milliseconds(655_360))
        #expect(backoff.delay(failures: 18) == .seconds(1000))
        #expect(backoff.delay(failures: 10_000) == .seconds(1000))
    }

    @Test func rateLimitedRequeuesBackOffUntilForgotten() async throws {
        try await withQueue(backoff: .init(base: .seconds(1), maximum: .seconds(4))) { queue, clock in
            var delays: [Duration] = []
            for _ in 0..<4 {
                let delay = queue.addRateLimited("a")
                delays.append(delay)
                clock.advance(by: delay - .milliseconds(1))
                #expect(queue.readyCount == 0)
                clock.advance(by: .milliseconds(1))
                #expect(await queue.next() == "a")
                queue.done("a")
            }
            #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(4)])
            #expect(queue.failures(of: "a") == 4)
            queue.forget("a")
            #expect(queue.failures(of: "a") == 0)
            #expect(queue.addRateLimited("a") == .seconds(1))
        }
    }

    @Test func shutDownWakesWaitingWorkers() async throws {
        let queue = Queue(clock: ManualClock())
        async let first = queue.next()
        async let second = queue.next()
        queue.shutDown()
        #expect(await first == nil)
        #expect(await second == nil)
        queue.add("a")
        #expect(await queue.next() == nil)
    }

    @Test func cancellingAWaitingWorkerReturnsNil() async throws {
        let queue = Queue(clock: ManualClock())
        let result = await withTaskGroup(of: String?.self) { group in
            group.addTask { await queue.next() }
            group.cancelAll()
            return await group.next() ?? "none"
        }
        #expect(result == nil)
    }
}
