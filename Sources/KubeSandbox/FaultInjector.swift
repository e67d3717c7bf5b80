import Kubernetes
import Synchronization

/// Injected failures: the next N requests whose path contains a string are answered with a given status
/// (a Status body; `Retry-After` for 429). Used by client tests to exercise retries.
///
/// ```swift
/// sandbox.faults.inject(status: 429, count: 2, retryAfterSeconds: 1, pathContains: "/configmaps")
/// ```
public final class FaultInjector: Sendable {
    private struct Fault {
        var status: Int
        var remaining: Int
        var retryAfterSeconds: Int?
        var pathContains: String?
        var method: String?
    }

    private let faults = Mutex<[Fault]>([])

    init() {}

    /// Makes the next `count` matching requests fail with `status`.
    ///
    /// - Parameters:
    ///   - status: HTTP status (e.g. 429, 500, 503, 504).
    ///   - count: how many requests fail.
    ///   - retryAfterSeconds: `Retry-After` header and `details.retryAfterSeconds` (429/503).
    ///   - pathContains: only requests whose path contains this (nil = any API request).
    ///   - method: only this HTTP method (nil = any).
    public func inject(
        status: Int,
        count: Int = 1,
        retryAfterSeconds: Int? = nil,
        pathContains: String? = nil,
        method: String? = nil
    ) {
        faults.withLock {
            $0.append(
                Fault(
                    status: status,
                    remaining: count,
                    retryAfterSeconds: retryAfterSeconds,
                    pathContains: pathContains,
                    method: method?.uppercased()
                )
            )
        }
    }

    /// Removes every pending fault.
    public func clear() {
        faults.withLock { $0.removeAll() }
    }

    /// The fault to answer this request with, if any (consumes one).
    func take(method: String, path: String) -> APIStatus? {
        faults.withLock { faults -> APIStatus? in
            guard
                let index = faults.firstIndex(where: { fault in
                    fault.remaining > 0 && (fault.pathContains.map { path.contains($0) } ?? true)
                        && (fault.method.map { $0 == method } ?? true)
                })
            else { return nil }
            faults[index].remaining -= 1
            let fault = faults[index]
            if fault.remaining == 0 { faults.remove(at: index) }
            return Self.status(for: fault)
        }
    }

    private static func status(for fault: Fault) -> APIStatus {
        let (reason, message): (String, String) =
            switch fault.status {
            case 429: ("TooManyRequests", "Too many requests, please try again later.")
            case 500: ("InternalError", "Internal error occurred: injected fault")
            case 503: ("ServiceUnavailable", "The server is currently unable to handle the request")
            case 504: ("Timeout", "The server was unable to return a response in the time allotted")
            case 409: ("Conflict", "Operation cannot be fulfilled: injected conflict")
            case 410: ("Expired", "too old resource version: injected fault")
            default: ("InternalError", "injected fault")
            }
        var status = APIStatus(code: fault.status, reason: reason, message: message, details: [:])
        if let seconds = fault.retryAfterSeconds {
            status.details = ["retryAfterSeconds": .int(Int64(seconds))]
            status.headers.append(("Retry-After", String(seconds)))
        }
        return status
    }
}
