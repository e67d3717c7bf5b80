import Foundation
import Kubernetes
import Logging

/// The cluster-wide prepare queue (`loadConcurrency.prepareQueueLength`) made exact across node agents.
///
/// Velero counts the loads labelled `velero.io/expose-on-going=true` in each node agent's informer cache, so
/// two node agents accepting at the same moment can both see room for one more load. Lifeboat keeps that
/// count as a first, cheap check and makes admission exact with `limit` ticket slots: ConfigMaps named
/// ``slotName(_:)`` (`lifeboat-prepare-queue-<i>`, i < limit) in the install namespace.
/// - A ticket is taken by creating a free slot's ConfigMap. The API server refuses a second object of one
///   name, so there is no read-modify-write and no single object every node agent writes: node agents
///   taking different slots never conflict.
/// - The accepting node agent records the slot on the load (annotation ``slotAnnotation``, written with the
///   acceptance), so every node agent's cache knows which slots the loads being prepared hold.
/// - A ticket is returned, by deleting the slot with the uid it was created with (never a later holder's),
///   when the load's data path starts or the load ends. Slots whose load is no longer being prepared are
///   swept after ``staleAfter``.
struct PrepareQueue: Sendable {
    /// Labels every slot ConfigMap carries (the sweep lists by them).
    static let labels = [
        "app.kubernetes.io/name": "lifeboat", "component": "node-agent", "lifeboat.io/prepare-queue": "ticket",
    ]
    /// The load annotation naming the slot its ticket took.
    static let slotAnnotation = "lifeboat.io/prepare-queue-slot"
    /// A slot older than this whose load is not being prepared with it is removed by any node agent.
    static let staleAfter: TimeInterval = 60
    /// Slots tried per acquisition before the queue counts as full (each try that finds a slot taken
    /// makes this node agent's view of the slots more exact).
    static let attempts = 4

    enum Outcome: Sendable, Equatable {
        /// This node holds a ticket for the load, in this slot.
        case acquired(slot: Int)
        /// Another node agent holds the load's ticket: drop the load.
        case heldByOther
        /// The queue is full: requeue.
        case full
    }

    let client: KubeClient
    let namespace: String
    let node: String
    let limit: Int
    /// The node agent's state machine, whose view records the tickets taken.
    let machine: SharedLoadStateMachine
    /// Called for every slot found taken that this node agent's cache showed free.
    var onConflict: @Sendable () -> Void = {}

    static func slotName(_ slot: Int) -> String { "lifeboat-prepare-queue-\(slot)" }
    static func ticket(_ key: LoadKey) -> String { "\(key.kind.resource).\(key.name)" }

    /// Takes a ticket for `key` if fewer than `limit` slots (at most ``limit``) are held.
    func acquire(_ key: LoadKey, now: Date, limit: Int) async throws -> Outcome {
        let limit = min(limit, self.limit)
        let ticket = Self.ticket(key)
        if let held = machine.withLock({ $0.view.heldSlot(ticket) }) { return .acquired(slot: held.slot) }
        var tried: Set<Int> = []
        for _ in 0..<Self.attempts {
            let taken = machine.withLock { $0.view.takenSlots() }
            let free = (0..<limit).filter { !taken.contains($0) && !tried.contains($0) }
            guard !free.isEmpty else { return .full }
            // Node agents taking tickets at the same moment start from different free slots.
            let slot = free[Int(LoadStateMachine.rankHash(node, ticket) % UInt64(free.count))]
            tried.insert(slot)
            var object = KubeObject(
                apiVersion: "v1",
                kind: "ConfigMap",
                namespace: namespace,
                name: Self.slotName(slot)
            )
            object.labels = Self.labels
            object["data"] = [
                "load": .string(ticket), "node": .string(node), "taken": .string(LoadObject.timestamp(now)),
            ]
            do {
                let created = try await client.create(.configMaps, namespace: namespace, object)
                machine.withLock { $0.holdSlot(ticket, slot: slot, uid: created.uid) }
                return .acquired(slot: slot)
            } catch let e as KubeError where e.code == .alreadyExists {
                onConflict()
                // Taken by a load whose acceptance this cache has not seen yet. When that load is this one,
                // another node agent is accepting it (or this one did, before it restarted).
                guard let holder = try await slotObject(slot), holder["data"]?["load"]?.stringValue == ticket else {
                    continue
                }
                guard holder["data"]?["node"]?.stringValue == node else { return .heldByOther }
                machine.withLock { $0.holdSlot(ticket, slot: slot, uid: holder.uid) }
                return .acquired(slot: slot)
            }
        }
        return .full
    }

    /// Returns the ticket of `load`: the slot this node agent took for it, else (a restarted node agent) the
    /// slot the load records while it is being prepared, if that slot still holds this load's ticket.
    func release(_ load: LoadObject) async throws {
        let ticket = Self.ticket(LoadKey(kind: load.kind, name: load.name))
        if let held = machine.withLock({ $0.releaseSlot(ticket) }) {
            try await delete(Self.slotName(held.slot), uid: held.uid)
            return
        }
        guard load.isExposing, let slot = load.prepareQueueSlot, let holder = try await slotObject(slot),
            holder["data"]?["load"]?.stringValue == ticket
        else { return }
        try await delete(Self.slotName(slot), uid: holder.uid)
    }

    /// Removes the slots taken more than ``staleAfter`` ago whose load (of a watched kind) is not being
    /// prepared with that slot: tickets of a node agent that stopped between a load's start and the ticket's
    /// return, or of a load another node agent won.
    func sweep(now: Date, watched: Set<LoadKind>) async throws {
        let selector = try LabelSelector(parsing: "lifeboat.io/prepare-queue=ticket")
        let slots = try await client.list(
            .configMaps,
            namespace: namespace,
            options: ListOptions(labelSelector: selector)
        )
        for object in slots.items where isStale(object, now: now, watched: watched) {
            guard let name = object.name else { continue }
            try? await delete(name, uid: object.uid)
        }
    }

    /// Whether a slot ConfigMap is stale (see ``sweep(now:watched:)``).
    func isStale(_ object: KubeObject, now: Date, watched: Set<LoadKind>) -> Bool {
        guard let ticket = object["data"]?["load"]?.stringValue, let taken = object["data"]?["taken"]?.stringValue,
            let time = LoadObject.date(taken), now.timeIntervalSince(time) >= Self.staleAfter,
            let dot = ticket.firstIndex(of: "."),
            let kind = LoadKind.allCases.first(where: { $0.resource == ticket[..<dot] }), watched.contains(kind)
        else { return false }
        let key = LoadKey(kind: kind, name: String(ticket[ticket.index(after: dot)...]))
        let load = machine.withLock { $0.view.load(key) }
        guard let load, load.phase == .accepted || load.phase == .prepared else { return true }
        return load.prepareQueueSlot.map(Self.slotName) != object.name
    }

    private func slotObject(_ slot: Int) async throws -> KubeObject? {
        do {
            return try await client.get(.configMaps, namespace: namespace, name: Self.slotName(slot))
        } catch let e as KubeError where e.code == .notFound {
            return nil
        }
    }

    /// Deletes a slot ConfigMap if it still has `uid` (gone, or taken again since: nothing to do).
    private func delete(_ name: String, uid: String?) async throws {
        var options = DeleteOptions()
        options.preconditionUID = uid
        do {
            _ = try await client.delete(.configMaps, namespace: namespace, name: name, options: options)
        } catch let e as KubeError where e.code == .notFound || e.code == .conflict {
            return
        }
    }
}
