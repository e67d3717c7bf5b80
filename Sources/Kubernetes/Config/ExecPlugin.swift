import Foundation

/// Runs a client-go exec credential plugin (client.authentication.k8s.io/v1 or v1beta1).
enum ExecPlugin {
    /// Runs the plugin and returns its token and expiry.
    ///
    /// The plugin gets the process environment plus `exec.env` plus `KUBERNETES_EXEC_INFO` (an ExecCredential
    /// with `spec.interactive: false`, and `spec.cluster` when provideClusterInfo is set).
    ///
    /// - Throws: ``KubeError`` `.config` when the command is missing, fails, or prints no usable ExecCredential.
    static func run(
        _ exec: KubeConfigFile.ExecConfig,
        server: String,
        caData: [UInt8]?
    ) async throws -> (token: String, expiry: Date?) {
        var spec: JSONObject = ["interactive": false]
        if exec.provideClusterInfo {
            var cluster: JSONObject = ["server": .string(server)]
            if let caData { cluster["certificate-authority-data"] = .string(Data(caData).base64EncodedString()) }
            spec["cluster"] = .object(cluster)
        }
        let info: JSONValue = ["apiVersion": .string(exec.apiVersion), "kind": "ExecCredential", "spec": .object(spec)]
        var env = ProcessInfo.processInfo.environment
        for e in exec.env { env[e.name] = e.value }
        env["KUBERNETES_EXEC_INFO"] = info.jsonString

        guard let executable = locate(exec.command, path: env["PATH"] ?? "/usr/bin:/bin") else {
            var message = "exec credential plugin: executable \(exec.command) not found"
            if let hint = exec.installHint { message += " (\(hint.trimmingCharacters(in: .whitespacesAndNewlines)))" }
            throw KubeError(code: .config, message: message)
        }
        let (status, out, err) = try await runProcess(executable, arguments: exec.args, environment: env)
        guard status == 0 else {
            let detail = String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw KubeError(
                code: .config,
                message:
                    "exec credential plugin \(exec.command) exited with status \(status)\(detail.isEmpty ? "" : ": " + detail)"
            )
        }
        let credential: JSONValue
        do {
            credential = try JSONValue(parsing: out)
        } catch let e as KubeError {
            throw KubeError(
                code: .config,
                message: "exec credential plugin \(exec.command) printed invalid JSON",
                cause: e
            )
        }
        guard credential["kind"]?.stringValue == "ExecCredential" else {
            throw KubeError(
                code: .config,
                message: "exec credential plugin \(exec.command) did not print an ExecCredential"
            )
        }
        if let v = credential["apiVersion"]?.stringValue, v != exec.apiVersion {
            throw KubeError(
                code: .config,
                message: "exec credential plugin \(exec.command) returned apiVersion \(v), expected \(exec.apiVersion)"
            )
        }
        guard let token = credential["status"]?["token"]?.stringValue, !token.isEmpty else {
            throw KubeError(
                code: .config,
                message:
                    "exec credential plugin \(exec.command): status.token is missing (client certificates from plugins are not supported)"
            )
        }
        var expiry: Date?
        if let ts = credential["status"]?["expirationTimestamp"]?.stringValue {
            expiry = parseRFC3339(ts)
        }
        return (token, expiry)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }

    private static func locate(_ command: String, path: String) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a process to completion on a dedicated thread (pipes are drained while it runs).
    private static func runProcess(
        _ executable: String,
        arguments: [String],
        environment: [String: String]
    ) async throws -> (Int32, [UInt8], [UInt8]) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                process.environment = environment
                let stdout = Pipe()
                let stderr = Pipe()
                process.standardOutput = stdout
                process.standardError = stderr
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(
                        throwing: KubeError(
                            code: .config,
                            message: "exec credential plugin \(executable) could not start: \(error)"
                        )
                    )
                    return
                }
                // stderr is drained on a second thread so that neither pipe can fill up and block the plugin
                let errData = LockedData()
                let errDone = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    errData.set(stderr.fileHandleForReading.readDataToEndOfFile())
                    errDone.signal()
                }
                let out = stdout.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                errDone.wait()
                continuation.resume(returning: (process.terminationStatus, Array(out), Array(errData.get())))
            }
        }
    }
}

/// A Data slot written by one thread and read by another.
private final class LockedData: @unchecked Sendable {
    // @unchecked Sendable: every access goes through `lock`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data { lock.withLock { data } }
}
