import Hummingbird
import Kubernetes

extension APIHandler {
    /// `pods/log`, `pods/exec` and `pods/attach` on the ordinary HTTP path. A valid exec arrives as a WebSocket
    /// upgrade (see ``ExecUpgrade``); what reaches this handler is a refused upgrade (kubectl's SPDY fallback,
    /// Lifeboat's client asking why), which gets the API's error.
    func podSubresource(
        _ subresource: PodSubresource,
        request: Request,
        namespace: String,
        name: String,
        query: [String: String]
    ) async throws(APIStatus) -> Response {
        switch subresource {
        case .log:
            guard request.method == .get else { throw APIStatus.methodNotAllowed }
            return try podLog(namespace: namespace, name: name, query: query)
        case .exec:
            guard request.method == .get || request.method == .post else { throw APIStatus.methodNotAllowed }
            let exec = ExecRequest(rawQuery: request.uri.query ?? "")
            _ = try await exec.resolve(core: core, namespace: namespace, name: name)
            throw APIStatus.badRequest(
                "the Lifeboat sandbox speaks the remote-command protocol over WebSocket only "
                    + "(\(ExecRequest.protocols.joined(separator: ", "))), not SPDY"
            )
        case .attach:
            guard request.method == .get || request.method == .post else { throw APIStatus.methodNotAllowed }
            _ = try PodStreamTarget(core: core, namespace: namespace, name: name, container: query["container"])
            throw APIStatus.badRequest(
                "the Lifeboat sandbox does not support attach: containers' standard streams are not kept open; "
                    + "use kubectl logs -f to follow a container's output or kubectl exec to run a command in it"
            )
        }
    }
}
