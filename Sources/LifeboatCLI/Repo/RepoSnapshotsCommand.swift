import ArgumentParser
import Foundation
import VolumeRepository

/// `lifeboat repo snapshots`.
struct RepoSnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "List snapshots.")

    @OptionGroup var options: RepoOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let repo = try await options.openRepository()
        let all = try await repo.snapshots()
        if json {
            let list: [[String: Any]] = all.map { e in
                var o: [String: Any] = [
                    "id": e.id.hex, "short_id": e.id.short, "time": e.snapshot.time.description,
                    "tree": e.snapshot.tree.hex,
                    "paths": e.snapshot.paths, "hostname": e.snapshot.hostname, "username": e.snapshot.username,
                ]
                if !e.snapshot.tags.isEmpty { o["tags"] = e.snapshot.tags }
                if let p = e.snapshot.parent { o["parent"] = p.hex }
                return o
            }
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys]),
                    as: UTF8.self
                )
            )
            return
        }
        let line = String(repeating: "-", count: 80)
        print("ID        Time                 Host        Tags        Paths")
        print(line)
        for e in all {
            let t = e.snapshot.time.description
            let time = String(t.prefix(19)).replacingOccurrences(of: "T", with: " ")
            let host = e.snapshot.hostname.padding(toLength: 11, withPad: " ", startingAt: 0)
            let tags = e.snapshot.tags.joined(separator: ",").padding(toLength: 11, withPad: " ", startingAt: 0)
            print("\(e.id.short)  \(time)  \(host) \(tags) \(e.snapshot.paths.first ?? "")")
            for p in e.snapshot.paths.dropFirst() { print(String(repeating: " ", count: 57) + p) }
        }
        print(line)
        print("\(all.count) snapshots")
    }
}

/// `lifeboat repo ls SNAPSHOT`.
struct RepoLsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the files of a snapshot.")

    @OptionGroup var options: RepoOptions
    @Flag(name: .shortAndLong, help: "Long listing (mode, owner, size, mtime).") var long = false
    @Argument(help: "Snapshot ID or 'latest'.") var snapshot: String

    func run() async throws {
        let repo = try await options.openRepository()
        let (entry, items) = try await repo.listFiles(snapshot: snapshot)
        print("snapshot \(entry.id.short) of \(entry.snapshot.paths) at \(entry.snapshot.time):")
        for (path, node) in items {
            if long {
                let perms = String(node.posixPermissions, radix: 8)
                print(
                    "\(node.type.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(perms) \(node.uid)/\(node.gid) \(node.size) \(node.mtime) \(path)"
                )
            } else {
                print(path)
            }
        }
    }
}
