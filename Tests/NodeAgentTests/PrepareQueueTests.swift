import Foundation
import Kubernetes
import Synchronization
import Testing

@testable import NodeAgent

/// The prepare queue's ticket slots against the sandbox: the cap, the race for one load, returning a ticket
/// (also after a restart, never a later holder's), and the sweep of stale slots.
struct PrepareQueueTests {
    static let selector = "lifeboat.io/prepare-queue=ticket"

    static func queue(
        _ client: KubeClient,
        node: String,
        limit: Int,
        machine: SharedLoadStateMachine? = nil,
        onConflict: @escaping @Sendable () -> Void = {}
    ) -> PrepareQueue {
        PrepareQueue(
            client: client,
            namespace: NodeAgentControllerTests.namespace,
            node: node,
            limit: limit,
            machine: machine ?? Self.machine(node: node),
            onConflict: onConflict
        )
    }

    /// A node agent's state machine with nothing seen yet.
    static func machine(node: String) -> SharedLoadStateMachine {
        SharedLoadStateMachine(LoadStateMachine(configuration: LoadViewTests.configuration(node: node)))
    }

    final class Counter: Sendable {
        let count = Mutex(0)
    }

    /// The slot ConfigMaps: name → the ticket they hold.
    static func slots(_ client: KubeClient) async throws -> [String: String] {
        let list = try await client.list(
            .configMaps,
            namespace: NodeAgentControllerTests.namespace,
            options: ListOptions(labelSelector: try LabelSelector(parsing: selector))
        )
        var result: [String: String] = [:]
        for item in list.items { result[item.name ?? ""] = item["data"]?["load"]?.stringValue ?? "" }
        return result
    }

    static func key(_ name: String) -> LoadKey { LoadKey(kind: .dataUpload, name: name) }

    /// A DataUpload accepted by `node` whose ticket is in `slot`.
    static func accepted(_ name: String, node: String, slot: Int) throws -> LoadObject {
        try LoadViewTests.load(
            name,
            { try $0.accepted(byNode: node, at: "2026-11-22T00:00:00Z").withPrepareQueueSlot(slot) },
            version: 2
        )
    }

    @Test func slotsCapTheQueueAcrossNodeAgentsAndAReturnedSlotIsTakenAgain() async throws {
        try await NodeAgentControllerTests.withCluster { _, client in
            let first = Self.queue(client, node: "n1", limit: 2)
            guard case .acquired(let slotA) = try await first.acquire(Self.key("a"), now: Date(), limit: 2),
                case .acquired(let slotB) = try await first.acquire(Self.key("b"), now: Date(), limit: 2)
            else {
                Issue.record("the first two tickets were not taken")
                return
            }
            #expect(slotA != slotB)
            #expect(Set([slotA, slotB]) == [0, 1])
            #expect(try await first.acquire(Self.key("c"), now: Date(), limit: 2) == .full)
            // Asking again for a load it holds a ticket for is no second ticket.
            #expect(try await first.acquire(Self.key("a"), now: Date(), limit: 2) == .acquired(slot: slotA))
            #expect(
                try await Self.slots(client) == [
                    PrepareQueue.slotName(slotA): "datauploads.a", PrepareQueue.slotName(slotB): "datauploads.b",
                ]
            )

            // Another node agent whose cache has seen no acceptance yet: it finds both slots taken.
            let conflicts = Counter()
            let second = Self.queue(client, node: "n2", limit: 2, onConflict: { conflicts.count.withLock { $0 += 1 } })
            #expect(try await second.acquire(Self.key("c"), now: Date(), limit: 2) == .full)
            #expect(conflicts.count.withLock { $0 } == 2)
            // One of the taken slots holds load a: n2 learns that another node agent is taking it.
            #expect(try await second.acquire(Self.key("a"), now: Date(), limit: 2) == .heldByOther)

            // A returned ticket frees its slot for the next load.
            try await first.release(try LoadViewTests.load("a", version: 3))
            #expect(try await Self.slots(client).count == 1)
            #expect(try await second.acquire(Self.key("c"), now: Date(), limit: 2) == .acquired(slot: slotA))
            #expect(try await Self.slots(client)[PrepareQueue.slotName(slotA)] == "datauploads.c")
        }
    }

    @Test func aRestartedNodeAgentReturnsTheSlotItsLoadRecordsButNeverALaterHoldersTicket() async throws {
        try await NodeAgentControllerTests.withCluster { _, client in
            let before = Self.queue(client, node: "n1", limit: 3)
            guard case .acquired(let slot) = try await before.acquire(Self.key("a"), now: Date(), limit: 3) else {
                Issue.record("no ticket")
                return
            }
            // Restarted: a new cache. The accepted load records its slot.
            let after = Self.queue(client, node: "n1", limit: 3)
            try await after.release(try Self.accepted("b", node: "n1", slot: slot))  // not b's ticket: kept
            #expect(try await Self.slots(client).count == 1)
            try await after.release(try Self.accepted("a", node: "n1", slot: slot))
            #expect(try await Self.slots(client).isEmpty)

            // A node agent whose memory of a slot is out of date (the slot was returned and taken again since)
            // leaves the new holder's ticket alone.
            guard case .acquired(let again) = try await after.acquire(Self.key("c"), now: Date(), limit: 3) else {
                Issue.record("no ticket")
                return
            }
            let stale = Self.machine(node: "n1")
            stale.withLock { $0.holdSlot("datauploads.c", slot: again, uid: "uid-of-an-earlier-holder") }
            let c = try LoadViewTests.load("c", version: 2)
            try await Self.queue(client, node: "n1", limit: 3, machine: stale).release(c)
            #expect(try await Self.slots(client) == [PrepareQueue.slotName(again): "datauploads.c"])
        }
    }

    @Test func theSweepRemovesOldSlotsWhoseLoadIsNotBeingPreparedWithThem() async throws {
        try await NodeAgentControllerTests.withCluster { _, client in
            let old = Date().addingTimeInterval(-2 * PrepareQueue.staleAfter)
            let taker = Self.queue(client, node: "n1", limit: 4)
            var slots: [String: Int] = [:]
            for (name, time) in [("gone", old), ("preparing", old), ("recent", Date()), ("lost", old)] {
                guard case .acquired(let slot) = try await taker.acquire(Self.key(name), now: time, limit: 4) else {
                    Issue.record("no ticket for \(name)")
                    return
                }
                slots[name] = slot
            }
            // The sweeping node agent's cache: "preparing" is Accepted with its slot; "lost" is Accepted with
            // another slot (its node agent lost the race with this ticket); "gone" is not there at all.
            let machine = Self.machine(node: "n2")
            let preparing = try Self.accepted("preparing", node: "n1", slot: slots["preparing"] ?? -1)
            let lost = try Self.accepted("lost", node: "n2", slot: slots["recent"] ?? -1)
            machine.withLock {
                $0.put(preparing)
                $0.put(lost)
            }
            let sweeper = Self.queue(client, node: "n2", limit: 4, machine: machine)
            try await sweeper.sweep(now: Date(), watched: [.dataUpload])
            #expect(
                try await Self.slots(client) == [
                    PrepareQueue.slotName(slots["preparing"] ?? -1): "datauploads.preparing",
                    PrepareQueue.slotName(slots["recent"] ?? -1): "datauploads.recent",
                ]
            )
        }
    }
}
