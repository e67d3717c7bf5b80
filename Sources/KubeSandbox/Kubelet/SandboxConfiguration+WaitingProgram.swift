import Foundation

extension SandboxConfiguration {
    /// The path of a host program that runs until it is stopped and exits 0 on SIGTERM: an
    /// ``imageCommands`` target for images whose process only has to exist (tests and benchmarks whose node
    /// agent simulates the data path of its hosting pods). Written once into the temporary folder.
    ///
    /// - Throws: when the program cannot be written.
    public static func waitingProgram() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-waiting-program.sh")
        let script = """
            #!/bin/sh
            # Runs until stopped: a stand-in for container images whose process only has to exist.
            trap 'exit 0' TERM INT
            sleep infinity &
            wait

            """
        if (try? String(contentsOf: url, encoding: .utf8)) != script
            || !FileManager.default.isExecutableFile(atPath: url.path)
        {
            let staging = url.deletingLastPathComponent().appendingPathComponent(
                ".lifeboat-waiting-program-\(UUID().uuidString)"
            )
            defer { try? FileManager.default.removeItem(at: staging) }
            try script.write(to: staging, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: staging.path)
            guard rename(staging.path, url.path) == 0 else {
                throw SandboxError(.persistence, "cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
        }
        return url.path
    }
}
