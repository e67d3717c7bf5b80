import Foundation
import Kubernetes
import Logging
import Synchronization

/// The executor of the state machine's steps for one load (Velero's `data_upload_controller.go` Reconcile):
/// ``LoadStateMachine/step(for:now:runsHere:)`` decides, this performs the API calls and reports back.
extension NodeAgentController {
    /// Reconciles one load from the view; returns when to look at it again (nil: when something changes).
    func reconcile(_ key: LoadKey) async throws -> Duration? {
        // A slot held for a load that ended, or whose data path runs on another node, is free again.
        let (found, actions) = state.decide { $0.beginReconcile(key) }
        perform(actions)
        guard var load = found else { return nil }
        // A PodVolumeRestore's client pod decides both where it runs and whether it may start; read it once.
        let restoredPod =
            load.phase == .new && load.kind == .podVolumeRestore && !load.clientPod.name.isEmpty
            ? try? await clientPod(of: load) : nil
        let runsHere = load.phase != .new || self.runsHere(load, clientPod: restoredPod)
        while true {
            let now = configuration.now()
            let current = load
            switch state.decide({ $0.step(for: current, now: now, runsHere: runsHere) }) {
            case .idle: return nil
            case .requeue(let delay):
                if load.phase == .prepared {
                    logger.debug("Data path instance is concurrent limited requeue later", metadata: ["load": "\(key)"])
                }
                return delay
            case .requestCancel(let message):
                logger.info("canceling the load", metadata: ["load": "\(key)", "reason": "\(message)"])
                try await write(load.cancelRequested(message: message))
                return nil
            case .cancelNew:
                try await write(load.canceled(at: timestamp))
                return nil
            case .admit:
                return try await admit(load, key, restoredPod: restoredPod)
            case .expose:
                switch try await exposeOrFail(load, key) {
                case .exposed: continue
                case .waiting: return configuration.requeueDelay
                case .failed: return nil
                }
            case .markPrepared:
                load = try await write(load.prepared(onNode: node))
            case .startDataPath:
                try await startDataPath(load, key)
                return nil
            case .cancelDataPath:
                try await write(load.canceling())
                requestCancel(key)
                return nil
            case .signalCancel:
                state.signals.cancel(key)
                return nil
            case .resume:
                // Not running here: this node agent restarted while the load was InProgress. Check the cluster
                // (the view may lag behind a completion just written) before resuming.
                let fresh = try await fetch(key)
                let step = state.decide { $0.resumeStep(fresh) }
                guard let fresh else { return nil }
                switch step {
                case .startDataPath:
                    logger.info("resuming an in-progress load", metadata: ["load": "\(key)"])
                    state.decide { $0.dataPathStarted(key, resumed: true) }
                    state.startsContinuation.yield(.init(load: fresh, resumed: true))
                case .cancelDataPath: try await write(fresh.canceling())
                case .requeue(let delay): return delay
                default: break
                }
                return nil
            case .finish(let phase, let message):
                if message == load.kind.prepareTimeoutMessage {
                    let pod = exposedPod(of: load)?["status"]?["phase"]?.stringValue ?? "none on this node"
                    logger.info("load timed out while being prepared", metadata: ["load": "\(key)", "pod": "\(pod)"])
                }
                try await finish(load, as: phase, message: message)
                return nil
            case .release:
                try await release(load, key)
                return nil
            }
        }
    }

    var timestamp: String { LoadObject.timestamp(configuration.now()) }

    /// The node that acts on a non-New load: where its data path runs, else the node that accepted it.
    func isResponsible(for load: LoadObject) -> Bool { state.decide { $0.isResponsible(for: load) } }

    // MARK: - New

    /// Admits a New load this node may take: waits for a PodVolumeRestore's pod, applies the admission rule,
    /// takes a prepare-queue ticket, accepts the load (with the finalizer) and exposes it.
    private func admit(_ load: LoadObject, _ key: LoadKey, restoredPod: KubeObject?) async throws -> Duration? {
        if let restoredPod {  // a PodVolumeRestore on this node
            let (namespace, name) = load.clientPod
            switch Self.restoreWaitState(ofPod: restoredPod.value, name: "\(namespace)/\(name)") {
            case .running: break
            // The restored-pod watch brings the load back when the container runs; the resync interval is
            // only a safety net.
            case .notYet: return configuration.resyncInterval
            case .broken(let reason):
                try await finish(load, as: .failed, message: "Pod for this PVR is not ready: \(reason)")
                return nil
            }
        }
        // The admission rule (the same the watch applied when it offered the load).
        let (admission, actions) = state.decide { $0.admitNew(key, committing: true) }
        perform(actions)
        switch admission {
        case .proceed: break
        case .after(let turn): return turn
        case .skip, .wait: return nil
        }
        let queue = prepareQueue
        var slot: Int?
        if let queue {
            let outcome = try await queue.acquire(key, now: configuration.now(), limit: config.prepareQueueLength)
            guard case .acquired(let taken) = outcome else {
                let (retry, actions) = state.decide { $0.ticketRefused(key, heldByOther: outcome == .heldByOther) }
                perform(actions)
                return retry
            }
            slot = taken
        }
        let accepted: LoadObject
        do {
            // The finalizer comes with the acceptance (one write): a load nobody accepted has nothing to clean up.
            accepted = try await write(
                load.accepted(byNode: node, at: timestamp).withFinalizer().withPrepareQueueSlot(slot)
            )
        } catch let e as KubeError where e.code == .conflict {
            // Another node agent accepted it first (or it changed): look again.
            let fresh = try await fetch(key)
            let (retry, returnTicket, actions) = state.decide { $0.acceptConflicted(key, fresh: fresh) }
            if returnTicket, let queue { try? await queue.release(load) }
            perform(actions)
            return retry
        }
        state.decide { $0.acceptSucceeded(key) }
        logger.debug("load accepted", metadata: ["load": "\(key)"])
        switch try await exposeOrFail(accepted, key, clientPod: restoredPod) {
        case .exposed: return configuration.prepareTimeout
        case .waiting: return configuration.requeueDelay
        case .failed: return nil
        }
    }

    private enum ExposeOutcome { case exposed, waiting, failed }

    /// Exposes an accepted load (`clientPod`: its client pod when the caller read it already); a failure
    /// fails it with Velero's `error to expose …` message. A DataUpload
    /// whose VolumeSnapshot is not ready yet is remembered (``LoadStateMachine/exposures``), and
    /// the next reconcile tries again.
    private func exposeOrFail(
        _ load: LoadObject,
        _ key: LoadKey,
        clientPod: KubeObject? = nil
    ) async throws -> ExposeOutcome {
        do {
            let done = try await expose(load, clientPod: clientPod)
            state.decide { $0.setExposure(key, done: done) }
            return done ? .exposed : .waiting
        } catch {
            logger.info("exposing the load failed", metadata: ["load": "\(key)", "error": "\(error)"])
            try await finish(load, as: .failed, message: "error to expose \(load.kind.exposeNoun): \(error)")
            return .failed
        }
    }

    /// Whether this node may take the load: data movement may run anywhere; file-system backup and restore
    /// only on the node of the pod whose volume they read or write (for a PodVolumeRestore, `clientPod`: its
    /// pod as read, nil when it could not be).
    func runsHere(_ load: LoadObject, clientPod: KubeObject?) -> Bool {
        switch load.kind {
        case .dataUpload, .dataDownload: return true
        case .podVolumeBackup: return load.object["spec"]?["node"]?.stringValue == node
        case .podVolumeRestore: return clientPod?["spec"]?["nodeName"]?.stringValue == node
        }
    }

    /// This load's data-mover pod, when it is on this node.
    func exposedPod(of load: LoadObject) -> JSONValue? { state.decide { $0.exposedPod(of: load) } }

    // MARK: - Data paths

    /// Moves a Prepared load whose slot is reserved to InProgress, hands its data path to the runner and
    /// returns its prepare-queue ticket.
    private func startDataPath(_ load: LoadObject, _ key: LoadKey) async throws {
        let started: LoadObject
        do {
            started = try await write(load.started(at: timestamp).progressing(totalBytes: 0, bytesDone: 0))
        } catch {
            handle { $0.dataPathNotStarted(key) }
            throw error
        }
        state.decide { $0.dataPathStarted(key, resumed: false) }
        state.startsContinuation.yield(.init(load: started, resumed: false))
        if let queue = prepareQueue {
            try? await queue.release(load)
            handle { $0.queuePlaceFreed() }
        }
    }

    /// Frees the slot held for `key` when its data path never started (capacity-aware placement).
    func releaseHold(_ key: LoadKey) {
        handle { $0.releaseHold(key) }
    }

    /// Asks the running data path of `key` to stop; returns whether it runs here.
    @discardableResult
    func requestCancel(_ key: LoadKey) -> Bool {
        guard state.decide({ $0.requestCancel(key) }) else { return false }
        state.signals.cancel(key)
        return true
    }

    // MARK: - Final

    /// Cleans up a final load, drops its finalizer and expose label, and returns its prepare-queue ticket.
    private func release(_ load: LoadObject, _ key: LoadKey) async throws {
        await cleanUp(load)
        try await write(load.withoutFinalizer().withoutExposeLabel())
        if let queue = prepareQueue { try? await queue.release(load) }
        releaseHold(key)
    }

    /// Cleans up the exposed resources, then moves the load to a final phase and returns its prepare-queue
    /// ticket. The finalizer stays until ``release(_:_:)`` has seen the final phase (so a deleted load is seen
    /// Canceled before it goes away, and a restart still cleans up).
    func finish(_ load: LoadObject, as phase: LoadPhase, message: String? = nil) async throws {
        await cleanUp(load)
        let key = LoadKey(kind: load.kind, name: load.name)
        let time = timestamp
        _ = try await update(key, from: load) { current in
            guard !current.phase.isFinal else { return nil }
            switch phase {
            case .failed: return try current.failed(at: time, message: message ?? "")
            default: return try current.canceled(at: time)
            }
        }
        if let queue = prepareQueue {
            try? await queue.release(load)
            handle { $0.queuePlaceFreed() }
        }
        releaseHold(key)
    }

    // MARK: - Writes

    /// Writes a load with the `resourceVersion` it was read with (409 Conflict when it changed) and caches
    /// the result. The one way the controllers change a load.
    @discardableResult
    func write(_ load: LoadObject) async throws -> LoadObject {
        guard let object = KubeObject(load.object) else {
            throw NodeAgentError(code: .invalidArgument, message: "\(load.kind.rawValue) \(load.name) is not an object")
        }
        let updated = try await client.update(load.kind.gvr, namespace: namespace, object)
        let result = LoadObject(kind: load.kind, object: updated.value)
        state.decide { $0.put(result) }
        return result
    }

    /// Applies `change` to the load and writes it, reading it again after a conflict; `change` returns nil
    /// when there is nothing (more) to do.
    func update(
        _ key: LoadKey,
        from load: LoadObject,
        _ change: (LoadObject) throws -> LoadObject?
    ) async throws -> LoadObject? {
        var current: LoadObject? = load
        for attempt in 0..<8 {
            if attempt > 0 { current = try await fetch(key) }
            guard let current, let next = try change(current) else { return nil }
            do {
                return try await write(next)
            } catch let e as KubeError where e.code == .conflict {
                state.decide { $0.statistics.conflicts += 1 }
                continue
            }
        }
        throw NodeAgentError(code: .invalidTransition, message: "\(key): too many write conflicts")
    }

    /// Reads a load from the API (nil when it is gone) and caches it.
    func fetch(_ key: LoadKey) async throws -> LoadObject? {
        do {
            let object = try await client.get(key.kind.gvr, namespace: namespace, name: key.name)
            let load = LoadObject(kind: key.kind, object: object.value)
            state.decide { $0.put(load) }
            return load
        } catch let e as KubeError where e.code == .notFound {
            state.decide { $0.forget(key) }
            return nil
        }
    }
}

extension LoadKind {
    /// What Velero's expose error names ("snapshot" for uploads, "restore" for downloads, …).
    var exposeNoun: String {
        switch self {
        case .dataUpload: "snapshot"
        case .dataDownload: "restore"
        case .podVolumeBackup: "PVB"
        case .podVolumeRestore: "PVR"
        }
    }
}

extension LoadObject {
    /// The load without the `velero.io/expose-on-going` label.
    func withoutExposeLabel() -> LoadObject {
        guard isExposing else { return self }
        var copy = self
        var labels = object["metadata"]?["labels"]?.objectValue ?? [:]
        labels[LoadLabels.exposeOnGoing] = nil
        copy.object[path: ["metadata", "labels"]] = labels.isEmpty ? nil : .object(labels)
        return copy
    }
}
