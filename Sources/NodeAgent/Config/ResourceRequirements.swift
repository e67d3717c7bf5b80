package import Kubernetes

/// Container resource requests and limits (`corev1.ResourceRequirements`) for data-mover pods.
package struct ResourceRequirements: Sendable, Hashable {
    /// Requests by resource name (`cpu`, `memory`, `ephemeral-storage`).
    package var requests: [String: Quantity]
    /// Limits by resource name.
    package var limits: [String: Quantity]

    package init(requests: [String: Quantity] = [:], limits: [String: Quantity] = [:]) {
        self.requests = requests
        self.limits = limits
    }

    /// The resource names in the order Kubernetes prints them.
    static let order = ["cpu", "memory", "ephemeral-storage"]

    /// The Kubernetes JSON form: `{"requests": {...}, "limits": {...}}` with canonical quantities;
    /// empty maps are left out (like `omitempty`).
    package var json: JSONValue {
        func list(_ map: [String: Quantity]) -> JSONValue {
            var o = JSONObject()
            for name in Self.order + map.keys.sorted().filter({ !Self.order.contains($0) }) {
                if let q = map[name] { o[name] = q.jsonValue }
            }
            return .object(o)
        }
        var o = JSONObject()
        if !limits.isEmpty { o["limits"] = list(limits) }
        if !requests.isEmpty { o["requests"] = list(requests) }
        return .object(o)
    }

    /// Parses `podResources` exactly as Velero's `kube.ParseResourceRequirements` does: every value must be
    /// a quantity (ephemeral-storage values default to "0" when empty; cpu and memory do not, so an empty
    /// one fails), "0" means unbounded and is left out, and a request may not exceed a non-zero limit.
    ///
    /// - Throws: ``NodeAgentError`` (`.invalidConfig`) with Velero's messages, e.g.
    ///   `couldn't parse CPU request "abc": …` or `CPU request "2" must be less than or equal to CPU limit "1"`.
    package static func parse(_ r: NodeAgentConfig.PodResources) throws -> ResourceRequirements {
        func quantity(_ text: String, _ what: String) throws -> Quantity {
            do {
                return try Quantity(parsing: text)
            } catch let e as KubeError {
                let prefix = "cannot parse quantity \"\(text)\": "
                let reason = e.message.hasPrefix(prefix) ? String(e.message.dropFirst(prefix.count)) : e.message
                throw NodeAgentError(code: .invalidConfig, message: "couldn't parse \(what) \"\(text)\": \(reason)")
            }
        }
        let ephemeralRequestText = r.ephemeralStorageRequest.isEmpty ? "0" : r.ephemeralStorageRequest
        let ephemeralLimitText = r.ephemeralStorageLimit.isEmpty ? "0" : r.ephemeralStorageLimit
        let cpuRequest = try quantity(r.cpuRequest, "CPU request")
        let memoryRequest = try quantity(r.memoryRequest, "memory request")
        let ephemeralRequest = try quantity(ephemeralRequestText, "ephemeral storage request")
        let cpuLimit = try quantity(r.cpuLimit, "CPU limit")
        let memoryLimit = try quantity(r.memoryLimit, "memory limit")
        let ephemeralLimit = try quantity(ephemeralLimitText, "ephemeral storage limit")

        func check(
            _ request: Quantity,
            _ limit: Quantity,
            _ what: String,
            _ requestText: String,
            _ limitText: String
        ) throws {
            if !limit.isZero && request > limit {
                throw NodeAgentError(
                    code: .invalidConfig,
                    message:
                        "\(what) request \"\(requestText)\" must be less than or equal to \(what) limit \"\(limitText)\""
                )
            }
        }
        try check(cpuRequest, cpuLimit, "CPU", r.cpuRequest, r.cpuLimit)
        try check(memoryRequest, memoryLimit, "Memory", r.memoryRequest, r.memoryLimit)
        try check(ephemeralRequest, ephemeralLimit, "Ephemeral storage", ephemeralRequestText, ephemeralLimitText)

        var result = ResourceRequirements()
        for (name, q) in [("cpu", cpuRequest), ("memory", memoryRequest), ("ephemeral-storage", ephemeralRequest)]
        where !q.isZero {
            result.requests[name] = q
        }
        for (name, q) in [("cpu", cpuLimit), ("memory", memoryLimit), ("ephemeral-storage", ephemeralLimit)]
        where !q.isZero {
            result.limits[name] = q
        }
        return result
    }
}
