import Kubernetes

/// A failure answered to the client as a Kubernetes `Status` body, shaped like kube-apiserver's.
struct APIStatus: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    /// `details` (omitted when nil; `{}` when empty).
    var details: JSONObject?
    /// `metadata` (e.g. a fresh `continue` token on 410).
    var metadata: JSONObject = [:]
    /// Extra response headers (e.g. Retry-After).
    var headers: [(String, String)] = []
    /// Answer with the message as a `text/plain` body instead of a Status (as the kubelet answers errors
    /// that the API server passes through).
    var plainText = false

    /// The Status object.
    var json: JSONValue {
        var object: JSONObject = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object(metadata), "status": "Failure",
            "message": .string(message), "reason": .string(reason),
        ]
        if let details { object["details"] = .object(details) }
        object["code"] = .int(Int64(code))
        return .object(object)
    }

    // MARK: - The real server's errors

    static func notFound(_ type: ResourceType, name: String) -> APIStatus {
        APIStatus(
            code: 404,
            reason: "NotFound",
            message: "\(type.qualifiedName) \"\(name)\" not found",
            details: detailsFor(type, name: name)
        )
    }

    static func namespaceNotFound(_ namespace: String) -> APIStatus {
        APIStatus(
            code: 404,
            reason: "NotFound",
            message: "namespaces \"\(namespace)\" not found",
            details: ["name": .string(namespace), "kind": "namespaces"]
        )
    }

    static let unknownResource = APIStatus(
        code: 404,
        reason: "NotFound",
        message: "the server could not find the requested resource",
        details: [:]
    )

    static let methodNotAllowed = APIStatus(
        code: 405,
        reason: "MethodNotAllowed",
        message: "the server does not allow this method on the requested resource",
        details: [:]
    )

    static let unauthorized = APIStatus(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static let unsupportedMediaType = APIStatus(
        code: 415,
        reason: "UnsupportedMediaType",
        message: "415: Unsupported Media Type",
        details: [:]
    )

    static func alreadyExists(_ type: ResourceType, name: String) -> APIStatus {
        APIStatus(
            code: 409,
            reason: "AlreadyExists",
            message: "\(type.qualifiedName) \"\(name)\" already exists",
            details: detailsFor(type, name: name)
        )
    }

    static func conflict(_ type: ResourceType, name: String) -> APIStatus {
        APIStatus(
            code: 409,
            reason: "Conflict",
            message: "Operation cannot be fulfilled on \(type.qualifiedName) \"\(name)\": the object has been "
                + "modified; please apply your changes to the latest version and try again",
            details: detailsFor(type, name: name)
        )
    }

    static func preconditionFailed(
        _ type: ResourceType,
        name: String,
        field: String,
        want: String,
        have: String
    )
        -> APIStatus
    {
        APIStatus(
            code: 409,
            reason: "Conflict",
            message: "Operation cannot be fulfilled on \(type.kind) \"\(name)\": the \(field) in the precondition "
                + "(\(want)) does not match the \(field) in record (\(have)). The object might have been deleted "
                + "and then recreated",
            details: ["name": .string(name), "kind": .string(type.kind)]
        )
    }

    static func badRequest(_ message: String) -> APIStatus {
        APIStatus(code: 400, reason: "BadRequest", message: message)
    }

    static func malformedBody(_ type: ResourceType?, text: String, problem: String) -> APIStatus {
        let snippet = String(text.prefix(64))
        let kind = type.map { " (must be of type \($0.kind))" } ?? ""
        return badRequest(
            "the object provided is unrecognized\(kind): couldn't get version/kind; json parse error: "
                + "\(problem) (\(snippet))"
        )
    }

    static func invalid(
        _ type: ResourceType,
        name: String,
        causes: [(field: String, reason: String, message: String)]
    ) -> APIStatus {
        let kind = type.kind
        let shown = type.group.isEmpty ? kind : "\(kind).\(type.group)"
        var details: JSONObject = ["name": .string(name)]
        if !type.group.isEmpty { details["group"] = .string(type.group) }
        details["kind"] = .string(kind)
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        let joined = causes.count > 1 ? "[\(summary)]" : summary
        details["causes"] = .array(
            causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] }
        )
        return APIStatus(
            code: 422,
            reason: "Invalid",
            message: "\(shown) \"\(name)\" is invalid: \(joined)",
            details: details
        )
    }

    static func namespaceTerminating(_ type: ResourceType, name: String, namespace: String) -> APIStatus {
        APIStatus(
            code: 403,
            reason: "Forbidden",
            message: "\(type.qualifiedName) \"\(name)\" is forbidden: unable to create new content in namespace "
                + "\(namespace) because it is being terminated",
            details: [
                "name": .string(name), "kind": .string(type.qualifiedName),
                "causes": [
                    [
                        "reason": "NamespaceTerminating",
                        "message": .string("namespace \(namespace) is being terminated"),
                        "field": "metadata.namespace",
                    ]
                ],
            ]
        )
    }

    static func anonymousForbidden(verb: String, type: ResourceType?, namespace: String?, path: String) -> APIStatus {
        guard let type else {
            return APIStatus(
                code: 403,
                reason: "Forbidden",
                message: "forbidden: User \"system:anonymous\" cannot \(verb) path \"\(path)\"",
                details: [:]
            )
        }
        var message =
            "\(type.plural) is forbidden: User \"system:anonymous\" cannot \(verb) resource "
            + "\"\(type.plural)\" in API group \"\(type.group)\""
        message += namespace.map { " in the namespace \"\($0)\"" } ?? " at the cluster scope"
        var details: JSONObject = ["kind": .string(type.plural)]
        if !type.group.isEmpty { details = ["group": .string(type.group), "kind": .string(type.plural)] }
        return APIStatus(code: 403, reason: "Forbidden", message: message, details: details)
    }

    static func expired(_ message: String, continueToken: String? = nil) -> APIStatus {
        var status = APIStatus(code: 410, reason: "Expired", message: message)
        if let continueToken { status.metadata = ["continue": .string(continueToken)] }
        return status
    }

    static func tooLarge(_ limit: Int) -> APIStatus {
        APIStatus(
            code: 413,
            reason: "RequestEntityTooLarge",
            message: "Request entity too large: limit is \(limit)",
            details: [:]
        )
    }

    static func internalError(_ message: String) -> APIStatus {
        APIStatus(
            code: 500,
            reason: "InternalError",
            message: "Internal error occurred: \(message)",
            details: ["causes": [["message": .string(message)]]]
        )
    }

    static func detailsFor(_ type: ResourceType, name: String) -> JSONObject {
        var details: JSONObject = ["name": .string(name)]
        if !type.group.isEmpty { details["group"] = .string(type.group) }
        details["kind"] = .string(type.plural)
        return details
    }
}
