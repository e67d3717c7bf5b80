/// The one error type of the `Kubernetes` module.
///
/// API failures carry the server's `Status` (``status``); client-side failures (TLS, connection,
/// timeouts, configuration, malformed JSON/YAML) carry a code, a message and usually a cause.
///
/// ```swift
/// do { _ = try await client.get(gvr, namespace: "ns", name: "x") }
/// catch let e as KubeError where e.code == .notFound { ... }
/// ```
public struct KubeError: Error, Sendable {
    /// What went wrong, as a small extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case badRequest, unauthorized, forbidden, notFound, methodNotAllowed, alreadyExists, conflict, gone
            case invalid, tooManyRequests, unsupportedMediaType, serverError, serviceUnavailable, timeout
            case apiError, tls, connection, config, malformedJSON, malformedYAML, invalidSelector, unknownResource
            case invalidArgument, cancelled, leadershipLost
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// 400 BadRequest.
        public static let badRequest = Code(.badRequest)
        /// 401 Unauthorized.
        public static let unauthorized = Code(.unauthorized)
        /// 403 Forbidden.
        public static let forbidden = Code(.forbidden)
        /// 404 NotFound.
        public static let notFound = Code(.notFound)
        /// 405 MethodNotAllowed.
        public static let methodNotAllowed = Code(.methodNotAllowed)
        /// 409 with reason AlreadyExists.
        public static let alreadyExists = Code(.alreadyExists)
        /// 409 Conflict (stale resourceVersion, failed precondition, apply conflict).
        public static let conflict = Code(.conflict)
        /// 410 Gone / Expired (resourceVersion too old, continue token expired).
        public static let gone = Code(.gone)
        /// 422 Invalid.
        public static let invalid = Code(.invalid)
        /// 429 TooManyRequests.
        public static let tooManyRequests = Code(.tooManyRequests)
        /// 415 UnsupportedMediaType.
        public static let unsupportedMediaType = Code(.unsupportedMediaType)
        /// 500 and other 5xx not listed separately.
        public static let serverError = Code(.serverError)
        /// 503 ServiceUnavailable.
        public static let serviceUnavailable = Code(.serviceUnavailable)
        /// 504 / reason Timeout, or a client-side request timeout.
        public static let timeout = Code(.timeout)
        /// Any other non-success HTTP status.
        public static let apiError = Code(.apiError)
        /// TLS handshake or certificate failure (client-side).
        public static let tls = Code(.tls)
        /// Could not connect, or the connection broke (client-side).
        public static let connection = Code(.connection)
        /// Kubeconfig / in-cluster configuration problem (client-side).
        public static let config = Code(.config)
        /// Text that is not valid JSON.
        public static let malformedJSON = Code(.malformedJSON)
        /// Text that is not valid YAML (or not representable as JSON).
        public static let malformedYAML = Code(.malformedYAML)
        /// A label or field selector that does not parse.
        public static let invalidSelector = Code(.invalidSelector)
        /// A resource name the discovery data does not know (like kubectl's "the server doesn't have a resource type").
        public static let unknownResource = Code(.unknownResource)
        /// An argument the client rejects before sending anything.
        public static let invalidArgument = Code(.invalidArgument)
        /// The operation was cancelled.
        public static let cancelled = Code(.cancelled)
        /// A leader could not renew its Lease within the renew deadline (``LeaderElector``).
        public static let leadershipLost = Code(.leadershipLost)

        public var description: String {
            switch base {
            case .badRequest: "BadRequest"
            case .unauthorized: "Unauthorized"
            case .forbidden: "Forbidden"
            case .notFound: "NotFound"
            case .methodNotAllowed: "MethodNotAllowed"
            case .alreadyExists: "AlreadyExists"
            case .conflict: "Conflict"
            case .gone: "Gone"
            case .invalid: "Invalid"
            case .tooManyRequests: "TooManyRequests"
            case .unsupportedMediaType: "UnsupportedMediaType"
            case .serverError: "InternalError"
            case .serviceUnavailable: "ServiceUnavailable"
            case .timeout: "Timeout"
            case .apiError: "APIError"
            case .tls: "TLS"
            case .connection: "Connection"
            case .config: "Config"
            case .malformedJSON: "MalformedJSON"
            case .malformedYAML: "MalformedYAML"
            case .invalidSelector: "InvalidSelector"
            case .unknownResource: "UnknownResource"
            case .invalidArgument: "InvalidArgument"
            case .cancelled: "Cancelled"
            case .leadershipLost: "LeadershipLost"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A one-line human explanation (already naming the file / server / resource involved).
    public var message: String
    /// The API server's Status, when the error came from the server.
    public var status: KubeStatus?
    /// The HTTP status code, when there was a response.
    public var httpStatus: Int?
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?
    /// Where in the client the error was raised.
    public var location: SourceLocation

    /// A source location (file and line) of the client code that raised the error.
    public struct SourceLocation: Sendable, Hashable {
        public var file: String
        public var line: Int
        public init(file: String, line: Int) {
            self.file = file
            self.line = line
        }
    }

    /// Creates an error.
    public init(
        code: Code, message: String, status: KubeStatus? = nil, httpStatus: Int? = nil,
        cause: (any Error & Sendable)? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.httpStatus = httpStatus
        self.cause = cause
        self.location = SourceLocation(file: file, line: line)
    }
}

// MARK: - Predicates

extension KubeError {
    public var isNotFound: Bool { code == .notFound }
    public var isAlreadyExists: Bool { code == .alreadyExists }
    public var isConflict: Bool { code == .conflict }
    public var isGone: Bool { code == .gone }
    public var isForbidden: Bool { code == .forbidden }
    public var isUnauthorized: Bool { code == .unauthorized }
    public var isTooManyRequests: Bool { code == .tooManyRequests }
    public var isInvalid: Bool { code == .invalid }
    /// Server-suggested delay before retrying (Status details.retryAfterSeconds or the Retry-After header).
    public var retryAfterSeconds: Int? { status?.retryAfterSeconds }
}

extension KubeError: CustomStringConvertible {
    /// The message, followed by the chain of causes ("message: cause: cause").
    public var description: String {
        var text = message
        var next: (any Error)? = cause
        var depth = 0
        while let c = next, depth < 8 {
            if let k = c as? KubeError {
                text += ": " + k.message
                next = k.cause
            } else {
                text += ": \(c)"
                next = nil
            }
            depth += 1
        }
        return text
    }
}
