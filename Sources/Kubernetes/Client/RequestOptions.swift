/// Options of a list (and the initial list of a watch).
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: FieldSelector?
    /// Page size (`limit`); nil = the server's default (everything).
    public var limit: Int?
    /// Continue token of the previous page.
    public var continueToken: String?
    /// `resourceVersion` ("0" = any cached state is fine).
    public var resourceVersion: String?
    /// `resourceVersionMatch`: "Exact" or "NotOlderThan".
    public var resourceVersionMatch: String?
    /// Server-side timeout.
    public var timeoutSeconds: Int?

    public init(
        labelSelector: LabelSelector? = nil,
        fieldSelector: FieldSelector? = nil,
        limit: Int? = nil,
        continueToken: String? = nil,
        resourceVersion: String? = nil,
        resourceVersionMatch: String? = nil,
        timeoutSeconds: Int? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
        self.timeoutSeconds = timeoutSeconds
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if let s = labelSelector, !s.isEmpty { q.append(("labelSelector", s.description)) }
        if let s = fieldSelector, !s.isEmpty { q.append(("fieldSelector", s.description)) }
        if let limit { q.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { q.append(("continue", continueToken)) }
        if let resourceVersion { q.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { q.append(("resourceVersionMatch", resourceVersionMatch)) }
        if let timeoutSeconds { q.append(("timeoutSeconds", String(timeoutSeconds))) }
        return q
    }
}

/// Options of create, update and patch.
public struct WriteOptions: Sendable, Hashable {
    /// Server-side dry run (`dryRun=All`): validated and defaulted, not persisted.
    public var dryRun: Bool
    /// `fieldManager`.
    public var fieldManager: String?
    /// `fieldValidation`: "Ignore", "Warn" or "Strict".
    public var fieldValidation: String?

    public init(dryRun: Bool = false, fieldManager: String? = nil, fieldValidation: String? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.fieldValidation = fieldValidation
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if dryRun { q.append(("dryRun", "All")) }
        if let fieldManager { q.append(("fieldManager", fieldManager)) }
        if let fieldValidation { q.append(("fieldValidation", fieldValidation)) }
        return q
    }
}

/// A patch body and its type.
public enum Patch: Sendable, Hashable {
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`).
    case merge(JSONValue)
    /// RFC 6902 JSON patch, a list of operations (`application/json-patch+json`).
    case json([JSONValue])
    /// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`); built-in types only.
    case strategicMerge(JSONValue)
    /// Server-side apply of a full intent (`application/apply-patch+yaml`, sent as JSON); needs a field manager.
    case apply(JSONValue, fieldManager: String, force: Bool = false)

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        case .strategicMerge: "application/strategic-merge-patch+json"
        case .apply: "application/apply-patch+yaml"
        }
    }

    var body: [UInt8] {
        switch self {
        case .merge(let v), .strategicMerge(let v), .apply(let v, _, _): v.encoded()
        case .json(let ops): JSONValue.array(ops).encoded()
        }
    }

    /// Merge and apply patches can be re-sent safely.
    var idempotent: Bool {
        switch self {
        case .merge, .apply: true
        case .json, .strategicMerge: false
        }
    }
}

/// Options of a delete.
public struct DeleteOptions: Sendable, Hashable {
    /// "Orphan", "Background" or "Foreground".
    public var propagationPolicy: String?
    /// Only delete if the object still has this uid.
    public var preconditionUID: String?
    /// Only delete if the object still has this resourceVersion.
    public var preconditionResourceVersion: String?
    public var gracePeriodSeconds: Int?
    public var dryRun: Bool

    public init(
        propagationPolicy: String? = nil,
        preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil,
        gracePeriodSeconds: Int? = nil,
        dryRun: Bool = false
    ) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.gracePeriodSeconds = gracePeriodSeconds
        self.dryRun = dryRun
    }

    /// The DeleteOptions body.
    var body: JSONValue {
        var o: JSONObject = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let propagationPolicy { o["propagationPolicy"] = .string(propagationPolicy) }
        if let gracePeriodSeconds { o["gracePeriodSeconds"] = .int(Int64(gracePeriodSeconds)) }
        if preconditionUID != nil || preconditionResourceVersion != nil {
            var p = JSONObject()
            if let preconditionUID { p["uid"] = .string(preconditionUID) }
            if let preconditionResourceVersion { p["resourceVersion"] = .string(preconditionResourceVersion) }
            o["preconditions"] = .object(p)
        }
        if dryRun { o["dryRun"] = ["All"] }
        return .object(o)
    }
}

/// One page of a list.
public struct ObjectList: Sendable, Hashable {
    public var apiVersion: String?
    /// e.g. "ConfigMapList".
    public var kind: String?
    public var items: [KubeObject]
    /// metadata.resourceVersion of the list (watch from here).
    public var resourceVersion: String?
    /// metadata.continue; nil on the last page.
    public var continueToken: String?
    public var remainingItemCount: Int64?

    public init(_ value: JSONValue) {
        apiVersion = value["apiVersion"]?.stringValue
        kind = value["kind"]?.stringValue
        let listKind = kind.map { $0.hasSuffix("List") ? String($0.dropLast(4)) : $0 }
        items = (value["items"]?.arrayValue ?? []).compactMap { item in
            guard let object = KubeObject(item) else { return nil }
            guard object.kind == nil || object.apiVersion == nil else { return object }
            // The API server omits apiVersion/kind on items of built-in lists; fill them in (first) like client-go.
            var filled = JSONObject()
            filled["apiVersion"] = object.object["apiVersion"] ?? value["apiVersion"]
            filled["kind"] = object.object["kind"] ?? listKind.map(JSONValue.string)
            for (k, v) in object.object where k != "apiVersion" && k != "kind" { filled[k] = v }
            return KubeObject(filled)
        }
        resourceVersion = value["metadata"]?["resourceVersion"]?.stringValue
        let token = value["metadata"]?["continue"]?.stringValue
        continueToken = token?.isEmpty == false ? token : nil
        remainingItemCount = value["metadata"]?["remainingItemCount"]?.intValue
    }
}
