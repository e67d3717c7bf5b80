import Foundation
import Logging
import Synchronization

extension LeaderElector {
    /// client-go's `tryAcquireOrRenew`: creates the Lease when absent; otherwise takes or renews it with an
    /// update carrying the read resourceVersion, when it is free, expired as observed here, or ours.
    func tryAcquireOrRenew() async throws -> Bool {
        let now = clock.now
        let wall = Date()
        let seconds = Int(configuration.leaseDuration.components.seconds)
        var desired = LeaderElectionRecord(
            holderIdentity: configuration.identity,
            leaseDurationSeconds: seconds,
            acquireTime: wall,
            renewTime: wall,
            leaseTransitions: 0
        )
        let lease: KubeObject
        do {
            lease = try await client.get(.leases, namespace: configuration.namespace, name: configuration.leaseName)
        } catch let error as KubeError where error.code == .notFound {
            var fresh = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: configuration.namespace,
                name: configuration.leaseName
            )
            desired.apply(to: &fresh)
            do {
                let created = try await client.create(.leases, fresh)
                setObserved(LeaderElectionRecord(lease: created), lease: created, at: now)
                return true
            } catch let error as KubeError where error.code == .alreadyExists {
                return false
            }
        }
        let old = LeaderElectionRecord(lease: lease)
        let (isLeader, valid) = observed.withLock { o in
            if o.record != old {
                o.record = old
                o.time = now
            }
            o.lease = lease
            let expiry = (o.time ?? now).advanced(by: .seconds(old.leaseDurationSeconds))
            return (old.holderIdentity == configuration.identity, now < expiry)
        }
        if let holder = old.holderIdentity, !holder.isEmpty, valid, !isLeader { return false }
        if isLeader {
            desired.acquireTime = old.acquireTime
            desired.leaseTransitions = old.leaseTransitions
        } else {
            desired.leaseTransitions = old.leaseTransitions + 1
        }
        var updated = lease
        desired.apply(to: &updated)
        do {
            let written = try await client.update(.leases, updated)
            setObserved(LeaderElectionRecord(lease: written), lease: written, at: now)
            return true
        } catch let error as KubeError where error.code == .conflict {
            return false
        }
    }

    /// Clears the holder (leaseDurationSeconds 1) when this elector leads, so another candidate takes over at
    /// once (client-go's `release`).
    func release() async throws {
        guard configuration.releaseOnCancel else { return }
        let (leading, current) = observed.withLock { o in
            (o.record?.holderIdentity == configuration.identity, o.lease)
        }
        guard leading, var lease = current else { return }
        let now = clock.now
        let wall = Date()
        let record = LeaderElectionRecord(
            holderIdentity: "",
            leaseDurationSeconds: 1,
            acquireTime: wall,
            renewTime: wall,
            leaseTransitions: LeaderElectionRecord(lease: lease).leaseTransitions
        )
        record.apply(to: &lease)
        let written = try await client.update(.leases, lease)
        setObserved(LeaderElectionRecord(lease: written), lease: written, at: now)
        logger.debug("lease released")
    }

    /// Releases from a task of its own, so a cancelled caller still clears the Lease (the task is awaited,
    /// not kept).
    func releaseDetached() async {
        let elector = self
        await Task {
            do {
                try await elector.release()
            } catch {
                elector.logger.debug("lease release failed", metadata: ["error": "\(error)"])
            }
        }.value
    }

    private func setObserved(_ record: LeaderElectionRecord, lease: KubeObject, at time: C.Instant) {
        observed.withLock { o in
            o.record = record
            o.lease = lease
            o.time = time
        }
    }
}
