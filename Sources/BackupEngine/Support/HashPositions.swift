/// Positions in a table found by a hash of what they hold, for tables with an entry per backed-up object: a
/// dictionary of `Int` to `Int32` costs a few bytes an entry, where a set of the entries' own strings costs a heap
/// object each. A hash that several entries share (rare) keeps the further positions aside; the caller compares the
/// entries themselves, so a shared hash never makes two entries one.
struct HashPositions: Sendable {
    private var first: [Int: Int32] = [:]
    private var further: [Int: [Int32]] = [:]

    /// Records `position` under `hash`.
    mutating func insert(_ position: Int, hash: Int) {
        let position = Int32(truncatingIfNeeded: position)
        if first[hash] == nil {
            first[hash] = position
        } else {
            further[hash, default: []].append(position)
        }
    }

    /// The first position under `hash` for which `matches` is true.
    func first(hash: Int, where matches: (Int) -> Bool) -> Int? {
        guard let position = first[hash] else { return nil }
        if matches(Int(position)) { return Int(position) }
        return further[hash]?.lazy.map { Int($0) }.first(where: matches)
    }

    /// A hash of the values.
    static func hash<each Value: Hashable>(_ value: repeat each Value) -> Int {
        var hasher = Hasher()
        repeat hasher.combine(each value)
        return hasher.finalize()
    }
}
