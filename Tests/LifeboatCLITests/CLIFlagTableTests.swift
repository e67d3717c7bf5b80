import Foundation
import ProcessTesting
import Testing

/// docs/velero-compatibility.md's "Every flag" table against the built binary: each flag a row says Lifeboat takes
/// is in that command's help, each it says Lifeboat does not take is not, and a command said not to exist is not a
/// command.
struct CLIFlagTableTests {
    struct Row: Sendable, CustomStringConvertible {
        var command: [String]
        var taken: [String]
        var notTaken: [String]
        var exists: Bool
        var description: String { command.joined(separator: " ") }
    }

    /// The table's rows: `| \`cmd\` | flags | flags |` under "### Every flag".
    static func rows() throws -> [Row] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(
            contentsOf: root.appendingPathComponent("docs/velero-compatibility.md"),
            encoding: .utf8
        )
        guard let start = text.range(of: "### Every flag") else { return [] }
        func flags(_ cell: Substring) -> [String] {
            cell.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
                .filter { $0.hasPrefix("--") }
        }
        return text[start.upperBound...].split(separator: "\n")
            .drop { !$0.hasPrefix("| `") }
            .prefix { $0.hasPrefix("| `") }
            .map { line in
                let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst()
                let cellArray = Array(cells)
                let command = cellArray[0].trimmingCharacters(in: CharacterSet(charactersIn: " `"))
                return Row(
                    command: command.split(separator: " ").map(String.init),
                    taken: flags(cellArray[1]),
                    notTaken: flags(cellArray[2]),
                    exists: !cellArray[1].contains("no such command")
                )
            }
    }

    @Test func theTableHasEveryCommand() throws {
        let commands = try Self.rows().map(\.description)
        #expect(commands.count >= 30)
        for expected in ["backup create", "restore create", "schedule pause", "install", "server"] {
            #expect(commands.contains(expected), "\(expected)")
        }
    }

    @Test(arguments: try CLIFlagTableTests.rows())
    func eachRowMatchesTheCommandsHelp(_ row: Row) async throws {
        let binary = try LifeboatProcess.require()
        let help = try await ChildProcess.run(binary, row.command + ["--help-hidden"], timeout: .seconds(60))
        let usage = help.stdout.contains("USAGE: lifeboat \(row.description)")
        #expect(usage == row.exists, "\(row): \(help.output.prefix(300))")
        guard row.exists else { return }
        let words = Set(
            help.stdout.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }).map(String.init)
        )
        for flag in row.taken { #expect(words.contains(flag), "\(row) should take \(flag)") }
        for flag in row.notTaken { #expect(!words.contains(flag), "\(row) takes \(flag); move it to 'taken'") }
    }
}
