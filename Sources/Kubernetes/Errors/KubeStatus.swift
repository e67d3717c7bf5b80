import Foundation

/// The API server's `Status` object (meta/v1), as returned with a failed request.
public struct KubeStatus: Sendable, Hashable {
    /// One entry of `details.causes`.
    public struct Cause: Sendable, Hashable {
        /// e.g. "FieldValueInvalid", "FieldValueRequired".
        public var reason: String?
        public var message: String?
        /// e.g. "metadata.name".
        public var field: String?
    }

    /// HTTP code (`code`).
    public var code: Int
    /// "Failure" or "Success".
    public var status: String?
    /// Machine-readable reason (NotFound, AlreadyExists, Conflict, Expired, Invalid, ...).
    public var reason: String?
    /// Human-readable message.
    public var message: String?
    /// details.name / group / kind / uid.
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    /// details.causes.
    public var causes: [Cause]
    /// details.retryAfterSeconds.
    public var retryAfterSeconds: Int?
    /// The Status object exactly as received.
    public var raw: JSONObject

    /// Decodes a Status; returns nil when `value` is not an object of kind Status.
    public init?(_ value: JSONValue) {
        guard let object = value.objectValue, object["kind"]?.stringValue == "Status" else { return nil }
        self.init(object: object, fallbackCode: 0)
    }

    /// Decodes a Status object, using `fallbackCode` when it carries no code.
    public init(object: JSONObject, fallbackCode: Int) {
        let value = JSONValue.object(object)
        raw = object
        code = value["code"]?.intValue.map { Int($0) } ?? fallbackCode
        status = value["status"]?.stringValue
        reason = value["reason"]?.stringValue
        message = value["message"]?.stringValue
        let details = value["details"]
        name = details?["name"]?.stringValue
        group = details?["group"]?.stringValue
        kind = details?["kind"]?.stringValue
        uid = details?["uid"]?.stringValue
        retryAfterSeconds = details?["retryAfterSeconds"]?.intValue.map { Int($0) }
        causes = (details?["causes"]?.arrayValue ?? []).map {
            Cause(
                reason: $0["reason"]?.stringValue,
                message: $0["message"]?.stringValue,
                field: $0["field"]?.stringValue
            )
        }
    }
}

extension KubeError {
    /// Builds the error for a failed API response.
    ///
    /// - Parameters:
    ///   - httpStatus: the HTTP status code.
    ///   - body: the response body (a Status object when the server is Kubernetes).
    ///   - retryAfter: the Retry-After header in seconds, if any.
    ///   - context: what the client was doing, e.g. `get configmaps "x" in namespace "ns"`.
    public static func fromResponse(
        httpStatus: Int,
        body: [UInt8],
        retryAfter: Int? = nil,
        context: String
    ) -> KubeError {
        var status: KubeStatus
        if let parsed = try? JSONValue(parsing: body), let object = parsed.objectValue,
            object["kind"]?.stringValue == "Status"
        {
            status = KubeStatus(object: object, fallbackCode: httpStatus)
        } else {
            let text = String(decoding: body.prefix(512), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var raw: JSONObject = [
                "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": .int(Int64(httpStatus)),
            ]
            if !text.isEmpty { raw["message"] = .string(text) }
            status = KubeStatus(object: raw, fallbackCode: httpStatus)
        }
        if status.retryAfterSeconds == nil, let retryAfter { status.retryAfterSeconds = retryAfter }
        let code = Code.forStatus(httpStatus: httpStatus, reason: status.reason)
        let serverMessage = status.message ?? status.reason ?? "HTTP \(httpStatus)"
        return KubeError(
            code: code,
            message: "\(context): \(serverMessage) (\(status.reason ?? code.description), HTTP \(httpStatus))",
            status: status,
            httpStatus: httpStatus
        )
    }
}

extension KubeError.Code {
    /// The code for an HTTP status and Status reason, as apimachinery's `errors.ReasonForError` would map it.
    public static func forStatus(httpStatus: Int, reason: String?) -> KubeError.Code {
        switch reason {
        case "NotFound": return .notFound
        case "AlreadyExists": return .alreadyExists
        case "Conflict": return .conflict
        case "Gone", "Expired": return .gone
        case "Invalid": return .invalid
        case "Forbidden": return .forbidden
        case "Unauthorized": return .unauthorized
        case "TooManyRequests": return .tooManyRequests
        case "BadRequest": return .badRequest
        case "MethodNotAllowed": return .methodNotAllowed
        case "UnsupportedMediaType": return .unsupportedMediaType
        case "ServiceUnavailable": return .serviceUnavailable
        case "Timeout", "ServerTimeout": return .timeout
        case "InternalError": return .serverError
        default: break
        }
        switch httpStatus {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 409: return .conflict
        case 410: return .gone
        case 415: return .unsupportedMediaType
        case 422: return .invalid
        case 429: return .tooManyRequests
        case 503: return .serviceUnavailable
        case 504: return .timeout
        case 500...599: return .serverError
        default: return .apiError
        }
    }
}
