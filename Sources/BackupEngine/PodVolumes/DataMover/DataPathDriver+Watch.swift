import Kubernetes
import Logging
import VeleroAPI

extension DataPathDriver {
    /// Waits (a watch of the one load) until the node agent has set the load `InProgress`; Velero polls every
    /// 500 ms instead.
    /// - Throws: a timeout after `resourceTimeout` naming what the load is (missing, or its phase); the canceled
    ///   error when the run is stopped or the load was canceled before it started; a load already finished.
    func waitUntilInProgress(stop: StopSignal) async throws -> KubeObject {
        let timeout = configuration.resourceTimeout
        logger.info(
            "waiting for \(kind.kind) \(configuration.namespace)/\(configuration.loadName) to be InProgress",
            metadata: ["timeout": "\(Self.format(timeout))"]
        )
        return try await withThrowingTaskGroup(of: KubeObject?.self) { group in
            group.addTask { try await self.watchLoad { try self.isInProgress($0) ? $0 : nil } }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw await self.timeoutError(after: timeout)
            }
            group.addTask {
                await stop.wait()
                if stop.isFired { throw BackupEngineError.dataPathCanceled }
                return nil
            }
            while let next = try await group.next() {
                if let load = next {
                    group.cancelAll()
                    return load
                }
            }
            throw BackupEngineError.dataPathCanceled
        }
    }

    /// Waits until the load's `spec.cancel` is set while it runs, the load is deleted, or the run is stopped
    /// (true); false when the waiting task is cancelled first.
    func waitForCancel(load: KubeObject, stop: StopSignal) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    _ = try await self.watchLoad(from: load["metadata"]?["resourceVersion"]?.stringValue) { object in
                        Self.cancelRequested(object) ? object : nil
                    }
                    return true
                } catch is CancellationError {
                    return false
                } catch let error as BackupEngineError where error.code == .notFound {
                    return true
                } catch {
                    self.logger.info("watch of the load ended", metadata: ["error": "\(error)"])
                    await stop.wait()
                    return stop.isFired
                }
            }
            group.addTask {
                await stop.wait()
                return stop.isFired
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Whether `spec.cancel` is set on a running load (Velero reacts to it only while `InProgress`).
    static func cancelRequested(_ object: KubeObject) -> Bool {
        let phase = object["status"]?["phase"]?.stringValue
        return object["spec"]?["cancel"]?.boolValue == true
            && (phase == DataMovePhase.inProgress || phase == DataMovePhase.canceling)
    }

    /// Whether the load is `InProgress`; throws when it already ended (waiting would never end).
    private func isInProgress(_ object: KubeObject) throws -> Bool {
        let phase = object["status"]?["phase"]?.stringValue ?? ""
        switch phase {
        case DataMovePhase.inProgress:
            return true
        case DataMovePhase.canceled:
            throw BackupEngineError.dataPathCanceled
        case DataMovePhase.completed, DataMovePhase.failed:
            throw BackupEngineError(
                code: .invalidSpec,
                message: "\(kind.kind) \(configuration.namespace)/\(configuration.loadName) is already \(phase)"
            )
        default:
            return false
        }
    }

    /// Lists the load, then watches it, until `match` returns an object.
    /// - Parameter from: a resourceVersion to watch from without listing first.
    /// - Throws: `.notFound` when the load is deleted; the watch's errors.
    func watchLoad(
        from resourceVersion: String? = nil,
        _ match: @Sendable (KubeObject) throws -> KubeObject?
    ) async throws -> KubeObject {
        let selector = FieldSelector([.init(field: "metadata.name", operator: .equals, value: configuration.loadName)])
        var options = WatchOptions(fieldSelector: selector)
        var version = resourceVersion
        if version == nil {
            let (events, listVersion) = try await client.listForWatch(
                kind.resource,
                namespace: configuration.namespace,
                options: options
            )
            for event in events where event.type == .added {
                if let found = try match(event.object) { return found }
            }
            version = listVersion
        }
        options.resourceVersion = version
        for try await event in client.watch(kind.resource, namespace: configuration.namespace, options: options) {
            switch event.type {
            case .added, .modified:
                if let found = try match(event.object) { return found }
            case .deleted:
                throw BackupEngineError(
                    code: .notFound,
                    message: "\(kind.kind) \(configuration.namespace)/\(configuration.loadName) was deleted"
                )
            case .bookmark, .restarted:
                continue
            }
        }
        throw CancellationError()
    }

    /// A duration as Go prints it: `300ms` below a second, else `1m30s`.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard seconds == 0 else { return GoDuration.format(duration) }
        return "\(attoseconds / 1_000_000_000_000_000)ms"
    }

    /// The error of a load that did not become `InProgress` in time, saying what it is instead.
    private func timeoutError(after timeout: Duration) async -> BackupEngineError {
        let what = "\(kind.kind) \(configuration.namespace)/\(configuration.loadName)"
        var state = ""
        do {
            let object = try await client.get(
                kind.resource,
                namespace: configuration.namespace,
                name: configuration.loadName
            )
            state = "its phase is \(object["status"]?["phase"]?.stringValue.map { "\"\($0)\"" } ?? "not set")"
        } catch let error as KubeError where error.code == .notFound {
            state = "it does not exist"
        } catch {
            state = "\(error)"
        }
        return BackupEngineError(
            code: .notFound,
            message: "timed out after \(Self.format(timeout)) waiting for \(what) to be InProgress: \(state)"
        )
    }
}

extension BackupEngineError {
    /// The data path was canceled (`spec.cancel`, SIGTERM): Velero's `datapath.ErrCancelled`.
    static var dataPathCanceled: BackupEngineError {
        BackupEngineError(code: .interrupted, message: DataPathMessages.canceledMessageSuffix)
    }
}
