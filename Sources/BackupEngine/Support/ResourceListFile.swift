import Foundation
import Kubernetes
import VeleroAPI

/// Velero's resource list file (`<name>-resource-list.json.gz` of a backup or restore):
/// `{"<apiVersion>/<Kind>": ["ns/name", …], …}`, keys sorted and each list sorted by bytes (Go's `sort.Strings`),
/// gzipped as it is written.
///
/// A backup or restore of a million objects has a line here for each. The lists are made one key at a time, each
/// entry's text in one byte buffer sorted by offsets, so at most one kind's entries are held at once, at about
/// forty bytes each, and the JSON goes into the compressor 64 KiB at a time.
enum ResourceListFile {
    /// - Parameters:
    ///   - groups: the positions of each key's entries.
    ///   - text: appends the text of the entry at a position.
    static func gzipped(_ groups: [String: [Int]], text: (Int, inout [UInt8]) -> Void) throws -> [UInt8] {
        let compressor = try GzipCompressor()
        var output: [UInt8] = []
        var json: [UInt8] = [UInt8(ascii: "{")]
        func flush(over limit: Int) throws {
            guard json.count >= limit else { return }
            try compressor.compress(json, into: &output)
            json.removeAll(keepingCapacity: true)
        }
        for (keyNumber, key) in GoJSONShape.goSorted(groups.keys).enumerated() {
            if keyNumber > 0 { json.append(UInt8(ascii: ",")) }
            json += JSONValue.string(key).encoded()
            json += Array(":[".utf8)
            var buffer: [UInt8] = []
            var starts: [Int] = []
            for position in groups[key] ?? [] {
                starts.append(buffer.count)
                text(position, &buffer)
            }
            starts.append(buffer.count)
            let order = buffer.withUnsafeBufferPointer { bytes in
                (0..<starts.count - 1).sorted { a, b in
                    let left = UnsafeBufferPointer(rebasing: bytes[starts[a]..<starts[a + 1]])
                    let right = UnsafeBufferPointer(rebasing: bytes[starts[b]..<starts[b + 1]])
                    return left.lexicographicallyPrecedes(right)
                }
            }
            for (number, index) in order.enumerated() {
                if number > 0 { json.append(UInt8(ascii: ",")) }
                let entry = String(decoding: buffer[starts[index]..<starts[index + 1]], as: UTF8.self)
                json += JSONValue.string(entry).encoded()
                try flush(over: 64 * 1024)
            }
            json.append(UInt8(ascii: "]"))
        }
        json += Array("}\n".utf8)
        try compressor.compress(json, into: &output)
        try compressor.finish(into: &output)
        return output
    }

    /// The file's JSON (for tests and small runs).
    static func document(_ gzipped: [UInt8]) throws -> JSONValue {
        try JSONValue(parsing: GzipDecompressor.decompress(gzipped))
    }
}
