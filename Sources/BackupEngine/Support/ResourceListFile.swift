import Foundation
import Kubernetes
import VeleroAPI

/// Velero's resource list file (`<name>-resource-list.json.gz` of a backup or restore):
/// `{"<apiVersion>/<Kind>": ["ns/name", …], …}`, keys sorted and each list sorted by bytes (Go's `sort.Strings`),
/// gzipped as it is written.
///
/// A backup or restore of a million objects has a line here for each, so the lines are never made all at once: each
/// key's positions (four bytes an entry) are sorted by comparing the entries' namespaces and names where they lie in
/// ``CompactStrings``, and each line is made only as it is written, the JSON going into the compressor 64 KiB at a
/// time.
enum ResourceListFile {
    /// One line: `<namespace>/<name><suffix>`, or `<name><suffix>` without a namespace.
    struct Line {
        /// Interned in the strings (0: none).
        var namespace: UInt32
        var name: CompactStrings.Span
        /// `(created)` and the like in a restore's list; empty in a backup's.
        var suffix: String = ""
    }

    /// - Parameters:
    ///   - groups: the positions of each key's entries.
    ///   - strings: where the namespaces and names are.
    ///   - line: the line of the entry at a position.
    static func gzipped(
        _ groups: [String: [Int32]],
        strings: CompactStrings,
        line: (Int32) -> Line
    ) throws -> [UInt8] {
        let compressor = try GzipCompressor()
        var output: [UInt8] = []
        var json: [UInt8] = [UInt8(ascii: "{")]
        func text(_ line: Line) -> [UInt8] {
            var bytes: [UInt8] = []
            if let namespace = strings.interned(line.namespace) { bytes += namespace.utf8 + [UInt8(ascii: "/")] }
            return bytes + strings.bytes(line.name) + Array(line.suffix.utf8)
        }
        for (keyNumber, key) in GoJSONShape.goSorted(groups.keys).enumerated() {
            if keyNumber > 0 { json.append(UInt8(ascii: ",")) }
            json += JSONValue.string(key).encoded()
            json += Array(":[".utf8)
            let positions = groups[key] ?? []
            // Different namespaces order as `<namespace>/` does (a namespace has no `/`, so that never ties).
            let namespaces = Set(positions.map { line($0).namespace }).subtracting([0])
            let ranked = namespaces.sorted {
                ((strings.interned($0) ?? "") + "/").utf8.lexicographicallyPrecedes(
                    ((strings.interned($1) ?? "") + "/").utf8
                )
            }
            var rank = [Int](repeating: -1, count: strings.internedCount)  // by interned index; -1: no namespace
            for (order, index) in ranked.enumerated() { rank[Int(index)] = order }
            let sorted = positions.sorted { a, b in
                let left = line(a)
                let right = line(b)
                if left.namespace != right.namespace {
                    let l = rank[Int(left.namespace)]
                    let r = rank[Int(right.namespace)]
                    if l >= 0 && r >= 0 { return l < r }
                    return text(left).lexicographicallyPrecedes(text(right))  // with and without a namespace
                }
                let leftName = strings.bytes(left.name)
                let rightName = strings.bytes(right.name)
                let common = min(leftName.count, rightName.count)
                if let (l, r) = zip(leftName, rightName).first(where: { $0 != $1 }) { return l < r }
                // One name begins the other: the rest of the longer one against the other's suffix.
                let leftRest = Array(leftName.dropFirst(common)) + Array(left.suffix.utf8)
                let rightRest = Array(rightName.dropFirst(common)) + Array(right.suffix.utf8)
                return leftRest.lexicographicallyPrecedes(rightRest)
            }
            for (number, position) in sorted.enumerated() {
                if number > 0 { json.append(UInt8(ascii: ",")) }
                json += JSONValue.string(String(decoding: text(line(position)), as: UTF8.self)).encoded()
                if json.count >= 64 * 1024 {
                    try compressor.compress(json, into: &output)
                    json.removeAll(keepingCapacity: true)
                }
            }
            json.append(UInt8(ascii: "]"))
        }
        json += Array("}\n".utf8)
        try compressor.compress(json, into: &output)
        try compressor.finish(into: &output)
        return output
    }
}
