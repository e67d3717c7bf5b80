import Foundation
import Synchronization
import Kubernetes
import Logging

/// The state machine of a load, driven over the API (Velero's `data_upload_controller.go` Reconcile).
extension NodeAgentController {
    /// Reconciles one load from the cache; returns when to look at it again (nil: when something changes).
    func reconcile(_ key: LoadKey) async throws -> Duration? {
        guard let load = state.cache.load(key), load.isBuiltInDataMover else {
            releaseHold(key)
            return nil
        }
        // A slot held for a load that ended, or whose data path runs on another node, is free again.
        if load.phase.isFinal || (load.node != nil && load.node != node) || (load.phase != .new && !isResponsible(for: load)) {
            releaseHold(key)
        }
        if load.isBeingDeleted && !load.phase.isFinal {
            guard load.hasFinalizer else { return nil }
            if !load.cancelRequested {
                guard isResponsible(for: load) else { return nil }
                logger.info("load is being deleted, canceling it", metadata: ["load": "\(key)"])
                try await write(load.cancelRequested(message: load.kind.deletionCancelMessage))
                return nil
            }
        }
        switch load.phase {
        case .new: return try await onNew(load, key)
        case .accepted: return try await onAccepted(load, key)
        case .prepared: return try await onPrepared(load, key)
        case .inProgress: return try await onInProgress(load, key)
        case .canceling: return try await onCanceling(load, key)
        case .completed, .failed, .canceled: return try await onFinal(load, key)
        }
    }

    var timestamp: String { LoadObject.timestamp(configuration.now()) }

    /// The node that acts on a non-New load: where its data path runs, else the node that accepted it.
    func isResponsible(for load: LoadObject) -> Bool {
        if let owner = load.node ?? load.acceptedByNode { return owner == node }
        if load.kind == .podVolumeBackup { return load.object["spec"]?["node"]?.stringValue == node }
        return true
    }

    // MARK: - New

    private func onNew(_ load: LoadObject, _ key: LoadKey) async throws -> Duration? {
        // A PodVolumeRestore's client pod decides both where it runs and whether it may start; read it once.
        let restoredPod = load.kind == .podVolumeRestore && !load.clientPod.name.isEmpty ? try? await clientPod(of: load) : nil
        if load.cancelRequested {
            guard runsHere(load, clientPod: restoredPod) else { return nil }
            try await write(load.canceled(at: timestamp))
            return nil
        }
        guard runsHere(load, clientPod: restoredPod) else { return nil }
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
        // Capacity-aware placement: only a node agent whose node the load may use and that has a free slot
        // takes part in the race; the others wait until one of their slots frees.
        let holdsSlot = configuration.capacityAwarePlacement && placementStorageClass(of: load) != nil
        if holdsSlot {
            guard let storageClass = placementStorageClass(of: load), admitsThisNode(storageClass: storageClass) else {
                return nil
            }
            if state.manager.free <= 0 && !state.manager.isHeld(key) {
                state.statistics.withLock { $0.noFreeSlot += 1 }
                state.waitToAccept(key)
                return nil
            }
        }
        if configuration.acceptStagger > .zero, state.jittered.withLock({ $0.insert(key).inserted }) {
            let turn = stagger(key)
            if turn > .zero { return turn }
        }
        // Skip a load another node agent already took (its ticket or acceptance is in the cache); a free slot
        // of this node goes to the next waiting load.
        if let current = state.cache.load(key), current.phase != .new {
            if holdsSlot && !state.manager.isHeld(key) && state.manager.free > 0 { wakeAcceptWaiters(1, staggered: false) }
            return nil
        }
        let queue = prepareQueue
        // Velero's count: the loads labelled velero.io/expose-on-going=true in the cache. The ticket below is
        // the exact check.
        if queue != nil && state.cache.exposingCount() >= config.prepareQueueLength {
            state.statistics.withLock { $0.queueFull += 1 }
            state.waitToAccept(key)
            return nil
        }
        if holdsSlot && !state.manager.hold(key) {
            state.statistics.withLock { $0.noFreeSlot += 1 }
            state.waitToAccept(key)
            return nil
        }
        var slot: Int?
        if let queue {
            switch try await queue.acquire(key, now: configuration.now(), limit: config.prepareQueueLength) {
            case .acquired(let taken): slot = taken
            case .heldByOther:
                state.statistics.withLock { $0.acceptLost += 1 }
                releaseHold(key)
                return nil
            case .full:
                state.statistics.withLock { $0.queueFull += 1 }
                releaseHold(key)
                // More tickets than loads labelled as being prepared: a ticket is about to be returned (its
                // load just started), so look again soon rather than wait for a wake-up that already passed.
                if state.cache.exposingCount() < config.prepareQueueLength { return configuration.requeueDelay }
                state.waitToAccept(key)
                return nil
            }
        }
        let accepted: LoadObject
        do {
            // The finalizer comes with the acceptance (one write): a load nobody accepted has nothing to clean up.
            accepted = try await write(load.accepted(byNode: node, at: timestamp).withFinalizer().withPrepareQueueSlot(slot))
        } catch let e as KubeError where e.code == .conflict {
            // Another node agent accepted it first (or it changed): look again.
            let fresh = try await fetch(key)
            if fresh?.phase == .new { return configuration.retryDelay }
            state.statistics.withLock { $0.acceptLost += 1 }
            // Gone, ended, or accepted by another node agent: this one holds nothing for it.
            if fresh == nil || fresh?.phase.isFinal == true || fresh?.acceptedByNode != node {
                if let queue { try? await queue.release(load) }
                releaseHold(key)
            }
            return nil
        }
        state.statistics.withLock { $0.accepted += 1 }
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
    /// whose VolumeSnapshot is not ready yet is remembered (``ControllerState/exposures``), and
    /// ``onAccepted`` tries again.
    private func exposeOrFail(_ load: LoadObject, _ key: LoadKey, clientPod: KubeObject? = nil) async throws -> ExposeOutcome {
        do {
            if try await expose(load, clientPod: clientPod) {
                state.exposures.withLock { $0[key] = true }
                return .exposed
            }
            state.exposures.withLock { $0[key] = false }
            return .waiting
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

    // MARK: - Accepted

    private func onAccepted(_ load: LoadObject, _ key: LoadKey) async throws -> Duration? {
        if configuration.acceptStagger > .zero { _ = state.jittered.withLock { $0.remove(key) } }
        let pod = exposedPod(of: load)
        let mine = load.acceptedByNode == node || pod != nil
        if load.cancelRequested {
            guard mine else { return nil }
            try await finish(load, as: .canceled)
            return nil
        }
        let waited = load.acceptedTime.map { configuration.now().timeIntervalSince($0) } ?? 0
        let timeout = Double(configuration.prepareTimeout.components.seconds)
            + Double(configuration.prepareTimeout.components.attoseconds) / 1e18
        if waited >= timeout {
            guard mine else { return nil }
            logger.info(
                "load timed out while being prepared",
                metadata: ["load": "\(key)", "pod": "\(pod?["status"]?["phase"]?.stringValue ?? "none on this node")"])
            try await finish(load, as: .failed, message: load.kind.prepareTimeoutMessage)
            return nil
        }
        // Expose again while a DataUpload waits for its snapshot, and once after a restart.
        if load.acceptedByNode == node, state.exposures.withLock({ $0[key] }) != true {
            switch try await exposeOrFail(load, key) {
            case .exposed: break
            case .waiting: return configuration.requeueDelay
            case .failed: return nil
            }
        }
        if let pod {
            switch pod["status"]?["phase"]?.stringValue {
            case "Running":
                let prepared = try await write(load.prepared(onNode: node))
                return try await onPrepared(prepared, key)
            case "Failed", "Succeeded":
                let phase = pod["status"]?["phase"]?.stringValue ?? ""
                try await write(
                    load.cancelRequested(
                        message: "found a \(load.kind.rawValue.lowercased()) \(load.namespace)/\(load.name) with expose error: "
                            + "pod \(load.name) is in abnormal status \(phase)"))
                return nil
            default: break
            }
        }
        guard load.acceptedByNode == node else { return nil }
        return .milliseconds(Int64(max(0.01, timeout - waited) * 1000))
    }

    /// This load's data-mover pod, when it is on this node.
    func exposedPod(of load: LoadObject) -> JSONValue? {
        guard let pod = state.cache.pod(named: load.name),
            pod["metadata"]?["labels"]?[load.kind.ownerLabel]?.stringValue == load.name
        else { return nil }
        return pod
    }

    // MARK: - Prepared

    private func onPrepared(_ load: LoadObject, _ key: LoadKey) async throws -> Duration? {
        guard load.node == node else { return nil }
        if load.cancelRequested {
            try await finish(load, as: .canceled)
            return nil
        }
        guard state.manager.reserve(key, resumed: false) else {
            state.statistics.withLock { $0.nodeFull += 1 }
            state.waitForSlot(key)
            logger.debug("Data path instance is concurrent limited requeue later", metadata: ["load": "\(key)"])
            return configuration.requeueDelay
        }
        let started: LoadObject
        do {
            started = try await write(load.started(at: timestamp).progressing(totalBytes: 0, bytesDone: 0))
        } catch {
            state.manager.release(key)
            slotFreed()
            throw error
        }
        state.statistics.withLock { $0.dataPathsStarted += 1 }
        state.startsContinuation.yield(.init(load: started, resumed: false))
        if let queue = prepareQueue {
            try? await queue.release(load)
            queuePlaceFreed()
        }
        return nil
    }

    func wakeSlotWaiters() {
        for key in state.takeSlotWaiters() { state.queue.add(key) }
    }

    /// Frees the slot held for `key` when its data path never started (capacity-aware placement).
    func releaseHold(_ key: LoadKey) {
        if state.manager.releaseHold(key) { slotFreed() }
    }

    // MARK: - InProgress, Canceling

    private func onInProgress(_ load: LoadObject, _ key: LoadKey) async throws -> Duration? {
        guard load.node == node else { return nil }
        if state.manager.isRunning(key) {
            if load.cancelRequested {
                try await write(load.canceling())
                state.manager.requestCancel(key)
            }
            return nil
        }
        // Not running here: this node agent restarted while the load was InProgress. Check the cluster (the
        // cache may lag behind a completion just written) before resuming.
        guard let fresh = try await fetch(key), fresh.phase == .inProgress, fresh.node == node else { return nil }
        if fresh.cancelRequested {
            try await write(fresh.canceling())
            return nil
        }
        guard state.manager.reserve(key, resumed: true) else { return configuration.requeueDelay }
        logger.info("resuming an in-progress load", metadata: ["load": "\(key)"])
        state.statistics.withLock {
            $0.dataPathsStarted += 1
            $0.dataPathsResumed += 1
        }
        state.startsContinuation.yield(.init(load: fresh, resumed: true))
        return nil
    }

    private func onCanceling(_ load: LoadObject, _ key: LoadKey) async throws -> Duration? {
        guard load.node == node else { return nil }
        if state.manager.requestCancel(key) { return nil }
        try await finish(load, as: .canceled)
        return nil
    }

    // MARK: - Final

    private func onFinal(_ load: LoadObject, _ key: LoadKey) async throws -> Duration? {
        guard load.hasFinalizer || load.isExposing, isResponsible(for: load) else { return nil }
        await cleanUp(load)
        try await write(load.withoutFinalizer().withoutExposeLabel())
        if let queue = prepareQueue { try? await queue.release(load) }
        releaseHold(key)
        return nil
    }

    /// Cleans up the exposed resources, then moves the load to a final phase and returns its prepare-queue
    /// ticket. The finalizer stays until ``onFinal`` has seen the final phase (so a deleted load is seen
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
            queuePlaceFreed()
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
        state.cache.put(result)
        return result
    }

    /// Applies `change` to the load and writes it, reading it again after a conflict; `change` returns nil
    /// when there is nothing (more) to do.
    func update(
        _ key: LoadKey, from load: LoadObject, _ change: (LoadObject) throws -> LoadObject?
    ) async throws -> LoadObject? {
        var current: LoadObject? = load
        for attempt in 0..<8 {
            if attempt > 0 { current = try await fetch(key) }
            guard let current, let next = try change(current) else { return nil }
            do {
                return try await write(next)
            } catch let e as KubeError where e.code == .conflict {
                state.statistics.withLock { $0.conflicts += 1 }
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
            state.cache.put(load)
            return load
        } catch let e as KubeError where e.code == .notFound {
            state.cache.remove(key)
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
