import Foundation
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import KubeSandbox

/// Starts an in-memory sandbox on 127.0.0.1:0, runs `body`, stops it.
func withTestSandbox<T>(
    nodes: Int = 1,
    seed: SandboxConfiguration.Seed? = nil,
    dataDirectory: URL? = nil,
    _ body: (Sandbox, TestAPI) async throws -> T
) async throws -> T {
    let configuration = SandboxConfiguration(
        port: 0,
        dataDirectory: dataDirectory,
        nodes: nodes,
        seed: seed,
        customResources: .velero,
        imageCommands: SandboxConfiguration.testImageCommands
    )
    return try await withSandbox(configuration) { sandbox in
        try await body(sandbox, TestAPI(sandbox: sandbox))
    }
}

/// Requests against a sandbox's API handler (no socket), with the sandbox's token unless told otherwise.
struct TestAPI: Sendable {
    let sandbox: Sandbox
    var transport: InProcessTransport { InProcessTransport(core: sandbox.core) }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
        var text: String { String(decoding: body, as: UTF8.self) }
        /// Newline-delimited JSON (watch streams).
        var lines: [JSONValue] {
            text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        }
    }

    func request(
        _ method: String,
        _ path: String,
        json: JSONValue? = nil,
        raw: String? = nil,
        contentType: String = "application/json",
        accept: String = "application/json",
        token: String?? = .none
    ) async -> Reply {
        var headers = ["Accept": accept]
        switch token {
        case .none: headers["Authorization"] = "Bearer \(sandbox.token)"
        case .some(.some(let value)): headers["Authorization"] = "Bearer \(value)"
        case .some(.none): break
        }
        var body: [UInt8] = []
        if let json { body = json.encoded() }
        if let raw { body = Array(raw.utf8) }
        if !body.isEmpty { headers["Content-Type"] = contentType }
        let reply = await transport.send(method, path, headers: headers, body: body)
        return Reply(status: reply.status, headers: reply.headers, body: reply.body)
    }

    @discardableResult
    func create(_ path: String, _ object: JSONValue) async throws -> JSONValue {
        let reply = await request("POST", path, json: object)
        try #require(reply.status == 201, "POST \(path): \(reply.status) \(reply.text)")
        return reply.json
    }

    func namespace(_ name: String) async throws {
        try await create("/api/v1/namespaces", ["metadata": ["name": .string(name)]])
    }

    /// Returns once the sandbox's cluster controller has handled every change made so far (a barrier, see
    /// `settleSandboxControllers`): what it would have done by now, it has done.
    func settleControllers() async throws {
        try await settleSandboxControllers(
            createNamespace: { try await namespace($0) },
            hasDefaultServiceAccount: { name in
                await request("GET", "/api/v1/namespaces/\(name)/serviceaccounts/default").status == 200
            }
        )
    }
}

/// Golden exchanges from a real kube-apiserver (../shared/reference/k8s-golden relative to the package).
enum Golden {
    static let directory: URL = {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/k8s-golden")
    }()

    static func exchange(_ name: String) throws -> JSONValue {
        let url = directory.appendingPathComponent("\(name).json")
        return try JSONValue(parsing: Array(try Data(contentsOf: url)))
    }

    static func responseBody(_ name: String) throws -> JSONValue {
        try #require(try exchange(name)["response"]?["body"])
    }

    static func status(_ name: String) throws -> Int {
        Int(try #require(try exchange(name)["response"]?["status"]?.intValue))
    }

    /// Differences in shape (keys present in `golden` and JSON types) between `actual` and `golden`.
    /// With `exactKeys`, keys `actual` has and `golden` lacks are differences too.
    /// Keys whose content depends on what the test created rather than on the server.
    static let userContent: Set<String> = ["fieldsV1", "labels", "annotations", "data", "spec", "continue"]

    static func shapeDifferences(
        _ actual: JSONValue?,
        _ golden: JSONValue,
        path: String = "$",
        exactKeys: Bool = false,
        ignoring: Set<String> = []
    ) -> [String] {
        guard let actual else { return ["\(path): missing"] }
        switch (actual, golden) {
        case (.object(let a), .object(let g)):
            var differences: [String] = []
            for (key, value) in g where !ignoring.contains(key) {
                differences += shapeDifferences(
                    a[key],
                    value,
                    path: "\(path).\(key)",
                    exactKeys: exactKeys,
                    ignoring: ignoring
                )
            }
            if exactKeys {
                for key in a.keys where g[key] == nil { differences.append("\(path).\(key): unexpected") }
            }
            return differences
        case (.array(let a), .array(let g)):
            guard let first = a.first, let goldenFirst = g.first else { return [] }
            return shapeDifferences(first, goldenFirst, path: "\(path)[0]", exactKeys: exactKeys, ignoring: ignoring)
        case (.int, .double), (.double, .int), (.null, _), (_, .null): return []
        default:
            return actual.typeName == golden.typeName ? [] : ["\(path): \(actual.typeName), golden \(golden.typeName)"]
        }
    }
}

/// Expects `actual` to have `golden`'s shape (keys and types); lists the differences on failure.
func expectShape(
    _ actual: JSONValue?,
    _ golden: JSONValue,
    ignoring: Set<String> = Golden.userContent,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let differences = Golden.shapeDifferences(actual, golden, ignoring: ignoring)
    #expect(differences.isEmpty, "\(differences)", sourceLocation: sourceLocation)
}
