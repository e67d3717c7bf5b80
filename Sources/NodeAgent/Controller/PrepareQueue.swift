import Foundation
import Kubernetes
import Logging

/// The cluster-wide prepare queue (`loadConcurrency.prepareQueueLength`) made exact across node agents.
///
/// Velero counts the loads labelled `velero.io/expose-on-going=true` in each node agent's informer cache, so
/// two node agents accepting at the same moment can both see room for one more load. Lifeboat keeps that
/// count as a first, cheap check and serialises the admission itself through one ConfigMap in the install
/// namespace (``configMapName``): its `data` holds one ticket per load being prepared
/// (`<resource>.<name>` → `<node> <timestamp>`), and a ticket is taken by an update that carries the read
/// `resourceVersion`. Taking the ticket of a load is also the acceptance race: the node agent that writes
/// it wins, the others find it taken and drop the load. A ticket is returned when the load's data path
/// starts or the load ends; tickets whose load is no longer being prepared are swept after
/// ``staleAfter``.
struct PrepareQueue: Sendable {
    /// The ConfigMap holding the tickets.
    static let configMapName = "lifeboat-node-agent-prepare-queue"
    /// A ticket older than this whose load is not Accepted or Prepared is removed by any node agent.
    static let staleAfter: TimeInterval = 60

    enum Outcome: Sendable, Equatable {
        /// This node holds the load's ticket.
        case acquired
        /// Another node agent holds it: drop the load.
        case heldByOther
        /// The queue is full: requeue.
        case full
    }

    let client: KubeClient
    let namespace: String
    let node: String
    let limit: Int
    let cache: LoadCache

    static func ticket(_ key: LoadKey) -> String { "\(key.kind.resource).\(key.name)" }

    private func fresh() async throws -> KubeObject? {
        do {
            let object = try await client.get(.configMaps, namespace: namespace, name: Self.configMapName)
            cache.queueObject = object
            return object
        } catch let e as KubeError where e.code == .notFound {
            return nil
        }
    }

    private static func tickets(_ object: KubeObject?) -> [String: String] {
        var result: [String: String] = [:]
        for (k, v) in object?["data"]?.objectValue ?? [:] { result[k] = v.stringValue ?? "" }
        return result
    }

    /// Takes the ticket of `key` if the queue holds fewer than `limit` tickets (at most ``limit``).
    func acquire(_ key: LoadKey, now: Date, limit: Int) async throws -> Outcome {
        let limit = min(limit, self.limit)
        let ticket = Self.ticket(key)
        for _ in 0..<32 {
            let current = try await fresh()
            var tickets = Self.tickets(current)
            if let holder = tickets[ticket] {
                return holder.hasPrefix(node + " ") || holder == node ? .acquired : .heldByOther
            }
            if tickets.count >= limit { return .full }
            tickets[ticket] = "\(node) \(LoadObject.timestamp(now))"
            do {
                _ = cache.tookTicket(ticket, true)
                try await write(tickets, over: current)
                return .acquired
            } catch let e as KubeError where e.code == .conflict || e.code == .alreadyExists {
                continue
            }
        }
        return .full
    }

    /// Returns the ticket of `key` (no effect when it is not held). Skips the round trip when this node agent's
    /// last view of the queue shows no such ticket and it did not take one since: only the node agent that
    /// takes a load's ticket returns it, so nothing is missed (a restarted node agent has no view yet and
    /// always looks).
    func release(_ key: LoadKey) async throws {
        let ticket = Self.ticket(key)
        let taken = cache.tookTicket(ticket, false)
        if !taken, let known = cache.queueObject, known["data"]?[ticket] == nil { return }
        try await remove([ticket])
    }

    /// Removes tickets (by ConfigMap key) with one JSON merge patch: removing keys needs no
    /// resourceVersion check (nothing is counted), so there is no read and no conflict to retry.
    func remove(_ names: [String]) async throws {
        guard !names.isEmpty else { return }
        var data = JSONObject()
        for name in names { data[name] = .null }
        do {
            cache.queueObject = try await client.patch(
                .configMaps, namespace: namespace, name: Self.configMapName, .merge(["data": .object(data)]))
        } catch let e as KubeError where e.code == .notFound {
            return
        }
    }

    /// Removes the tickets older than ``staleAfter`` whose load (of a watched kind) is not being prepared.
    func sweep(now: Date, watched: Set<LoadKind>) async throws {
        guard let object = try await fresh(), object["data"]?.objectValue?.isEmpty == false else { return }
        let stale = staleTickets(now: now, watched: watched)
        if !stale.isEmpty { try await remove(stale) }
    }

    /// Tickets older than ``staleAfter`` whose load (of a watched kind) is not being prepared.
    func staleTickets(now: Date, watched: Set<LoadKind>) -> [String] {
        var stale: [String] = []
        for (name, value) in Self.tickets(cache.queueObject) {
            let parts = value.split(separator: " ")
            guard parts.count == 2, let taken = LoadObject.date(String(parts[1])),
                now.timeIntervalSince(taken) >= Self.staleAfter
            else { continue }
            guard let dot = name.firstIndex(of: "."),
                let kind = LoadKind.allCases.first(where: { $0.resource == name[..<dot] }), watched.contains(kind)
            else { continue }
            let load = cache.load(LoadKey(kind: kind, name: String(name[name.index(after: dot)...])))
            if load?.phase != .accepted && load?.phase != .prepared { stale.append(name) }
        }
        return stale
    }

    private func write(_ tickets: [String: String], over current: KubeObject?) async throws {
        var data = JSONObject()
        for key in tickets.keys.sorted() { data[key] = .string(tickets[key] ?? "") }
        if var object = current {
            object["data"] = data.isEmpty ? nil : .object(data)
            cache.queueObject = try await client.update(.configMaps, namespace: namespace, object)
        } else {
            var object = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: namespace, name: Self.configMapName)
            object.labels = ["app.kubernetes.io/name": "lifeboat", "component": "node-agent"]
            object["data"] = .object(data)
            cache.queueObject = try await client.create(.configMaps, namespace: namespace, object)
        }
    }
}
