import Foundation

/// `fuzz-findings/`: inputs that crashed, hung, were slow or used too much memory, named
/// `<target>-<kind>-<input number>.bin`, with the crash's message in a `.txt` beside a crash.
struct FindingsFolder: Sendable {
    let path: String

    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Where a child keeps the input it is running.
    func inflightPath(_ target: String) -> String { "\(path)/.inflight-\(target)" }

    /// Where a child's standard error goes.
    func stderrPath(_ target: String) -> String { "\(path)/.stderr-\(target).log" }

    /// Saves a finding; returns its path.
    @discardableResult
    func save(_ input: [UInt8], target: String, kind: String, iteration: Int, note: String? = nil) -> String {
        let file = "\(path)/\(target)-\(kind)-\(iteration).bin"
        _ = FileManager.default.createFile(atPath: file, contents: Data(input))
        if let note {
            _ = FileManager.default.createFile(atPath: String(file.dropLast(4)) + ".txt", contents: Data(note.utf8))
        }
        return file
    }

    /// The input number and bytes a dead child was running, if it wrote one.
    func inflight(_ target: String) -> (iteration: Int, input: [UInt8])? {
        guard let data = FileManager.default.contents(atPath: inflightPath(target)), data.count >= 8 else {
            return nil
        }
        let bytes = [UInt8](data)
        let iteration = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        return (iteration, Array(bytes[8...]))
    }
}

/// A usage or environment problem of the fuzz tool itself.
struct FuzzToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
