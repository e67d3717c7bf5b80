import Foundation
import KubeSandbox
import KubeSandboxTesting
import ProcessTesting
import Testing

@testable import LifeboatCLI

/// `lifeboat quickstart` as `make quickstart` runs it: objects and (where containers run) volume data backed up,
/// restored and verified, no process left behind; and the verdicts on volume data, from fingerprints.
@Suite(.timeLimit(.minutes(5)))
struct QuickstartTests {
    /// The processes (other than this one) whose command line mentions `text`.
    static func processes(mentioning text: String) -> [String] {
        let own = "\(getpid())"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) && $0 != own }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return line.contains(text) ? "\(pid): \(line)" : nil
        }
    }

    @Test func theQuickstartVerifiesObjectsAndVolumeDataAndLeavesNoProcessBehind() async throws {
        let binary = try LifeboatProcess.require()
        try await withTemporaryDirectory(prefix: "lifeboat-quickstart") { directory in
            let work = directory.appendingPathComponent("work")
            let run = try await ChildProcess.run(
                binary,
                ["quickstart", "--work-dir", work.path],
                environment: ["HOME": directory.path, "PATH": "/usr/bin:/bin"],
                inheritEnvironment: false,
                timeout: .seconds(280)
            )
            #expect(run.status == 0, "\(run.output)")
            let lines = run.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }

            // The describe step shows the text of every warning it counts.
            let warnings = lines.first { $0.hasPrefix("Warnings:  ") }
            #expect(warnings != nil, "no describe step:\n\(run.stdout)")
            let count = warnings.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            if count > 0, let warnings {
                #expect(CLIFailureTests.linesUnder(warnings, in: run.stdout).count == count, "\(run.stdout)")
            }

            if let reason = Sandbox.containersUnavailableReason() {
                // Objects only, and said so: nothing claims the data was verified.
                #expect(lines.contains("==> 5. Volume data: skipped"), "\(run.stdout)")
                #expect(run.stdout.contains(reason), "\(run.stdout)")
                #expect(!run.stdout.contains("identical"), "\(run.stdout)")
                #expect(run.stdout.contains("volumes  not checked: containers cannot run on this machine"))
            } else {
                // Each claim's files read before the backup are back with the same bytes.
                for claim in ["web-data", "data-db-0", "data-db-1"] {
                    let line = lines.first { $0.hasPrefix("✓ \(claim): ") }
                    #expect(line?.contains(", identical") == true, "\(claim):\n\(run.stdout)")
                }
                // The seed's files of web-data were read (with the writers' logs, once they wrote).
                for file in ["html/index.html", "notes.txt", "blob.bin"] {
                    #expect(lines.contains { $0.hasSuffix(" B  \(file)") }, "\(file):\n\(run.stdout)")
                }
                #expect(lines.contains("Pod Volume Backups - restic:"), "\(run.stdout)")
                #expect(lines.contains { $0.hasPrefix("volumes  3 volumes, ") && $0.hasSuffix("identical") })
                #expect(run.stdout.contains("verified the demo application and its data"), "\(run.stdout)")
            }

            // Node agents, containers and hosting pods all ended with the quickstart (their command lines name
            // the work folder: the kubeconfig, the nodes' folders).
            let deadline = ContinuousClock.now + .seconds(20)
            var left = Self.processes(mentioning: work.path)
            while !left.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                left = Self.processes(mentioning: work.path)
            }
            #expect(left.isEmpty, "left behind: \(left)")
            #expect(!FileManager.default.fileExists(atPath: work.path), "the work folder is removed without --keep")
        }
    }

    // MARK: - Volume verdicts

    static func volume(_ claim: String, pod: String, files: [VolumeFingerprint.File]) -> VolumeFingerprint.Volume {
        VolumeFingerprint.Volume(
            claim: claim,
            pod: pod,
            volume: "data",
            container: "app",
            mountPath: "/data",
            files: files
        )
    }

    static let backedUp = VolumeFingerprint(volumes: [
        volume(
            "data-db-0",
            pod: "db-0",
            files: [.init(path: "db.log", size: 40, sha256: "aa"), .init(path: "conf/x", size: 3, sha256: "bb")]
        ),
        volume("web-data", pod: "web-1", files: [.init(path: "index.html", size: 10, sha256: "cc")]),
    ])

    @Test func filesBackWithTheirBytesAreIdenticalEvenWhenTheyGrew() {
        var found = Self.backedUp
        found.volumes[0].pod = "db-0"
        found.volumes[0].files[0].size = 120  // appended to since; its first 40 bytes hash the same
        found.volumes[1].pod = "web-2"  // another pod of the Deployment mounts the claim now
        found.volumes[1].files.append(.init(path: ".velero-new", size: 1, sha256: "dd"))
        let verdicts = VolumeComparison.compare(expected: Self.backedUp, found: found, namespace: "demo")
        #expect(verdicts.map(\.isIdentical) == [true, true])
        #expect(verdicts[0].grown == ["db.log"])
        #expect(
            verdicts[0].line
                == "data-db-0: 2 files, 43 B, identical (1 file grew since: appended by the running application)"
        )
        #expect(verdicts[1].line == "web-data: 1 file, 10 B, identical")
    }

    @Test func aMissingDifferentOrShorterFileIsAProblemNamingPodVolumeAndFile() {
        var found = Self.backedUp
        found.volumes[0].files = [.init(path: "db.log", size: 30, sha256: "aa")]  // conf/x gone, db.log truncated
        found.volumes[1].files[0].sha256 = "ff"
        let verdicts = VolumeComparison.compare(expected: Self.backedUp, found: found, namespace: "demo")
        #expect(
            verdicts[0].problems == [
                "pod demo/db-0 volume data (claim data-db-0): file /data/db.log is shorter than backed up "
                    + "(30 bytes, was 40)",
                "pod demo/db-0 volume data (claim data-db-0): file /data/conf/x is missing",
            ]
        )
        #expect(verdicts[0].line == "data-db-0: 2 files, 43 B, 2 problems")
        #expect(
            verdicts[1].problems == [
                "pod demo/web-1 volume data (claim web-data): file /data/index.html differs from the backed-up content "
                    + "(first 10 bytes)"
            ]
        )
    }

    @Test func aClaimNoPodMountsAfterTheRestoreIsAProblem() {
        let found = VolumeFingerprint(volumes: [Self.backedUp.volumes[1]])
        let verdicts = VolumeComparison.compare(expected: Self.backedUp, found: found, namespace: "demo")
        #expect(verdicts.map(\.isIdentical) == [false, true])
        #expect(verdicts[0].found == nil)
        #expect(
            verdicts[0].problems.first?.hasPrefix("pod demo/db-0 volume data (claim data-db-0): no running pod") == true
        )
    }

    /// The script the quickstart runs in the containers, run here by `sh` on a folder: sizes, SHA-256 of the whole
    /// file or of the backed-up prefix, the restore helper's folder left out, names with spaces and quotes kept.
    @Test func theFingerprintScriptHashesFilesAndPrefixes() async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-fingerprint") { directory in
            let files = ["abc": "abc", "it's a/log": "abcdef", "empty": "", ".velero/uid": "x"]
            for (path, content) in files {
                let url = directory.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(),
                    withIntermediateDirectories: true
                )
                try Data(content.utf8).write(to: url)
            }
            let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            let whole = try await ChildProcess.run(
                "/bin/sh",
                ["-c", VolumeFingerprint.script(mountPath: directory.path, prefixes: [:])]
            )
            #expect(whole.status == 0, "\(whole.output)")
            let read = VolumeFingerprint.parse(whole.stdout)
            #expect(read.map(\.path) == ["abc", "empty", "it's a/log"])
            #expect(read.map(\.size) == [3, 0, 6])
            #expect(read.first?.sha256 == abc)
            #expect(read.dropFirst().first?.sha256 == empty)

            let prefixed = try await ChildProcess.run(
                "/bin/sh",
                ["-c", VolumeFingerprint.script(mountPath: directory.path, prefixes: ["it's a/log": 3])]
            )
            #expect(prefixed.status == 0, "\(prefixed.output)")
            let log = VolumeFingerprint.parse(prefixed.stdout).first { $0.path == "it's a/log" }
            #expect(log?.size == 6)
            #expect(log?.sha256 == abc)
        }
    }
}
