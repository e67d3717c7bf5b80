import Foundation
import Kubernetes
import Logging
import VeleroAPI

/// Records a data path's Events on its load as Velero's micro-service does (`pkg/util/kube/event.go`: client-go's
/// recorder with source `{component: <load name>, host: <node>}`, type `Normal`).
///
/// Velero's correlator aggregates every Event of a reason into one: the first is created (named
/// `<load>.<hex UnixNano>`, as client-go names them), a repeat of the reason updates that Event's `count`,
/// `message` and `lastTimestamp`. So progress costs one request per report, and the objects stay few. Recording
/// never fails the data path: an API error is logged and dropped, as client-go's broadcaster does.
actor DataPathEventRecorder {
    private let client: KubeClient
    private let namespace: String
    private let involvedObject: JSONValue
    private let component: String
    private let host: String
    private let logger: Logger
    /// The Event recorded for each reason so far, and its count.
    private var recorded: [String: (name: String, count: Int64)] = [:]

    /// A recorder for Events about `load` (a PodVolumeBackup or PodVolumeRestore read from the API).
    init(client: KubeClient, load: KubeObject, nodeName: String, logger: Logger) {
        self.client = client
        self.namespace = load.namespace ?? ""
        self.component = load.name ?? ""
        self.host = nodeName
        self.logger = logger
        var reference: JSONObject = [:]
        reference["kind"] = load["kind"] ?? .null
        reference["namespace"] = .string(load.namespace ?? "")
        reference["name"] = .string(load.name ?? "")
        reference["uid"] = load["metadata"]?["uid"] ?? .null
        reference["apiVersion"] = load["apiVersion"] ?? .null
        reference["resourceVersion"] = load["metadata"]?["resourceVersion"] ?? .null
        involvedObject = .object(reference.filter { !$0.value.isNull })
    }

    /// The core/v1 `events` resource.
    static let events = GroupVersionResource(group: "", version: "v1", resource: "events")

    /// Records `reason` with `message`: a new Event the first time, an update of that Event afterwards.
    func record(_ reason: String, _ message: String) async {
        let now = Date()
        let timestamp = Timestamps.format(now)
        do {
            if let (name, count) = recorded[reason] {
                let patch: JSONValue = [
                    "count": .int(count + 1), "message": .string(message), "lastTimestamp": .string(timestamp),
                ]
                _ = try await client.patch(Self.events, namespace: namespace, name: name, .merge(patch))
                recorded[reason] = (name, count + 1)
                return
            }
            let name = "\(component).\(String(UInt64(now.timeIntervalSince1970 * 1e9), radix: 16))"
            _ = try await client.create(Self.events, namespace: namespace, event(name, reason, message, timestamp))
            recorded[reason] = (name, 1)
        } catch {
            logger.info(
                "could not record event",
                metadata: ["event.reason": "\(reason)", "error": "\(error)"]
            )
        }
    }

    /// A core/v1 Event as client-go's `makeEvent` builds it.
    private func event(_ name: String, _ reason: String, _ message: String, _ timestamp: String) -> KubeObject {
        var object = KubeObject(apiVersion: "v1", kind: "Event", namespace: namespace, name: name)
        object["involvedObject"] = involvedObject
        object["reason"] = .string(reason)
        object["message"] = .string(message)
        object["source"] = ["component": .string(component), "host": .string(host)]
        object["firstTimestamp"] = .string(timestamp)
        object["lastTimestamp"] = .string(timestamp)
        object["count"] = 1
        object["type"] = "Normal"
        object["reportingComponent"] = .string(component)
        object["reportingInstance"] = .string(host)
        return object
    }
}
