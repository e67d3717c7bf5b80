#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// restic-style exclude patterns: glob per path component, `**` for any depth; a pattern without a leading
/// `/` may match at any depth (`*.log`, `cache/tmp`).
struct ExcludeMatcher: Sendable {
    private let patterns: [[String]]

    init(patterns: [String]) {
        self.patterns = patterns.filter { !$0.isEmpty }.map { p in
            let parts = p.split(separator: "/").map(String.init)
            return p.hasPrefix("/") ? parts : ["**"] + parts
        }
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// True when the absolute `path` matches one of the patterns.
    func excludes(_ path: [UInt8]) -> Bool {
        guard !patterns.isEmpty else { return false }
        let components = path.split(separator: 0x2f).map { String(decoding: $0, as: UTF8.self) }
        return patterns.contains { Self.match($0[...], components[...]) }
    }

    private static func match(_ pattern: ArraySlice<String>, _ comps: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return comps.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            var c = comps
            while true {
                if match(rest, c) { return true }
                guard !c.isEmpty else { return false }
                c = c.dropFirst()
            }
        }
        guard let name = comps.first, fnmatch(first, name, 0) == 0 else { return false }
        return match(pattern.dropFirst(), comps.dropFirst())
    }
}
