package import Foundation
package import Kubernetes
package import Logging
package import VeleroAPI

/// The ServerStatusRequest controller's reconcile (Velero's `serverStatusRequestReconciler`): answers a new request
/// with the server's version, its plugins and the time, and deletes answered requests a minute later. `velero
/// version` and `lifeboat version` create one to learn the server's version.
package struct ServerStatusRequestReconciler: Reconciler {
    let client: KubeClient
    let serverVersion: String
    let plugins: [ServerStatusRequest.PluginInfo]
    let now: @Sendable () -> Date
    let logger: Logger

    package init(
        client: KubeClient,
        serverVersion: String,
        plugins: [ServerStatusRequest.PluginInfo],
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.client = client
        self.serverVersion = serverVersion
        self.plugins = plugins
        self.now = now
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        let namespace = key.namespace ?? ""
        guard
            let object = try await client.getIfPresent(
                ServerStatusRequest.resource,
                namespace: namespace,
                name: key.name
            )
        else { return .done }
        let request = try object.value.decode(as: ServerStatusRequest.self)
        let time = now()
        switch ServerStatusRequestStep.decide(request, now: time) {
        case .answer:
            logger.info("Processing new ServerStatusRequest", metadata: ["serverStatusRequest": "\(key)"])
            let plugins = try JSONValue(encoding: plugins)
            try await client.changeStatus(ServerStatusRequest.resource, namespace: namespace, name: key.name) {
                object in
                var status = object.value["status"]?.objectValue ?? [:]
                status["serverVersion"] = .string(serverVersion)
                status["phase"] = "Processed"
                status["processedTimestamp"] = .string(Timestamps.format(time))
                status["plugins"] = plugins
                object.value["status"] = .object(status)
                return true
            }
            return ReconcileResult(requeueAfter: .seconds(Int64(ServerStatusRequestStep.ttl)))
        case .wait(let recheck):
            return ReconcileResult(requeueAfter: DownloadRequestReconciler.delay(until: recheck, from: time))
        case .delete:
            logger.debug("ServerStatusRequest has expired, deleting it", metadata: ["serverStatusRequest": "\(key)"])
            do {
                try await client.delete(ServerStatusRequest.resource, namespace: namespace, name: key.name)
            } catch let error as KubeError where error.code == .notFound {}
            return .done
        case .unexpected(let phase):
            throw KubeError(code: .invalid, message: "unexpected ServerStatusRequest phase \"\(phase)\"")
        }
    }
}
