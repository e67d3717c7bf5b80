/// Derives fuzz inputs from a corpus: byte-level mutations (bit flips, inserts, deletes, duplicated ranges,
/// splices between corpus entries, interesting integers, truncation, dictionary tokens) and, for text formats,
/// the structure-aware ones in `Mutator+Text.swift` (value-type swaps, deep nesting, huge numbers, long strings).
///
/// Each input applies one to four mutations to one corpus entry; everything is drawn from a ``FuzzRandom``, so
/// an input is a pure function of the seed, the target and the input's number.
package struct Mutator: Sendable {
    /// The largest input produced; longer results are cut.
    package var maximumSize: Int
    /// Whether the structure-aware text mutations apply (JSON, YAML, selectors).
    package var textAware: Bool
    /// Whether the YAML mutations apply too (anchors and aliases).
    package var yamlAware: Bool
    /// Format keywords inserted or written over the input.
    package var dictionary: [[UInt8]]

    package init(maximumSize: Int = 1 << 20, textAware: Bool, yamlAware: Bool = false, dictionary: [String] = []) {
        self.maximumSize = maximumSize
        self.textAware = textAware
        self.yamlAware = yamlAware
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    /// One input derived from `corpus` (which must not be empty).
    package func mutate(_ corpus: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        var data = random.pick(corpus)
        let count = 1 + random.below(4)
        for _ in 0..<count {
            data = mutateOnce(data, corpus: corpus, random: &random)
            if data.count > maximumSize { data.removeLast(data.count - maximumSize) }
        }
        return data
    }

    private func mutateOnce(_ input: [UInt8], corpus: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        var data = input
        let strategies = yamlAware ? 17 : textAware ? 16 : 10
        switch random.below(strategies) {
        case 0: flipBits(&data, random: &random)
        case 1: setBytes(&data, random: &random)
        case 2: insertBytes(&data, random: &random)
        case 3: deleteRange(&data, random: &random)
        case 4: duplicateRange(&data, random: &random)
        case 5: splice(&data, corpus: corpus, random: &random)
        case 6: writeInterestingInteger(&data, random: &random)
        case 7: truncate(&data, random: &random)
        case 8, 9: insertToken(&data, random: &random)
        case 10: swapValueType(&data, random: &random)
        case 11: nestDeeply(&data, random: &random)
        case 12: replaceNumber(&data, random: &random)
        case 13: insertLongString(&data, random: &random)
        case 14: replaceStringValue(&data, random: &random)
        case 15: insertInterestingText(&data, random: &random)
        default: insertAliasChain(&data, random: &random)
        }
        return data
    }

    // MARK: byte-level

    static let interestingBytes: [UInt8] = [
        0, 1, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x22, 0x5c, 0x7b, 0x5b, 0x2d, 0x30, 0xc3,
    ]

    func flipBits(_ data: inout [UInt8], random: inout FuzzRandom) {
        guard !data.isEmpty else { return }
        for _ in 0..<(1 + random.below(8)) {
            data[random.below(data.count)] ^= UInt8(1) << UInt8(random.below(8))
        }
    }

    func setBytes(_ data: inout [UInt8], random: inout FuzzRandom) {
        guard !data.isEmpty else { return }
        for _ in 0..<(1 + random.below(4)) {
            let value =
                random.chance(0.5) ? random.pick(Self.interestingBytes) : UInt8(truncatingIfNeeded: random.next())
            data[random.below(data.count)] = value
        }
    }

    func insertBytes(_ data: inout [UInt8], random: inout FuzzRandom) {
        let count = 1 + random.below(random.chance(0.9) ? 16 : 4096)
        let fill = random.chance(0.5) ? UInt8(truncatingIfNeeded: random.next()) : nil
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(fill ?? UInt8(truncatingIfNeeded: random.next())) }
        data.insert(contentsOf: bytes, at: random.below(data.count + 1))
    }

    func deleteRange(_ data: inout [UInt8], random: inout FuzzRandom) {
        guard !data.isEmpty else { return }
        let start = random.below(data.count)
        let length = 1 + random.below(min(data.count - start, random.chance(0.8) ? 16 : data.count))
        data.removeSubrange(start..<min(data.count, start + length))
    }

    func duplicateRange(_ data: inout [UInt8], random: inout FuzzRandom) {
        guard !data.isEmpty else { return }
        let start = random.below(data.count)
        let length = 1 + random.below(min(data.count - start, 512))
        let chunk = Array(data[start..<min(data.count, start + length)])
        let times = random.chance(0.8) ? 1 : 1 + random.below(64)
        let at = random.below(data.count + 1)
        for _ in 0..<times { data.insert(contentsOf: chunk, at: at) }
    }

    func splice(_ data: inout [UInt8], corpus: [[UInt8]], random: inout FuzzRandom) {
        let other = random.pick(corpus)
        guard !other.isEmpty else { return }
        let cut = random.below(data.count + 1)
        let from = random.below(other.count)
        data = Array(data[..<cut]) + other[from...]
    }

    static let interestingIntegers: [UInt64] = [
        0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
        0x1_0000_0000, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff, 511, 512, 513, 4096,
    ]

    func writeInterestingInteger(_ data: inout [UInt8], random: inout FuzzRandom) {
        guard !data.isEmpty else { return }
        let value = random.pick(Self.interestingIntegers) &+ UInt64(bitPattern: Int64(random.below(3) - 1))
        let width = random.pick([1, 2, 4, 8])
        let bigEndian = random.chance(0.5)
        let at = random.below(data.count)
        for k in 0..<width where at + k < data.count {
            let shift = UInt64(bigEndian ? (width - 1 - k) * 8 : k * 8)
            data[at + k] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    func truncate(_ data: inout [UInt8], random: inout FuzzRandom) {
        guard !data.isEmpty else { return }
        data.removeLast(1 + random.below(data.count))
    }

    func insertToken(_ data: inout [UInt8], random: inout FuzzRandom) {
        guard !dictionary.isEmpty else { return insertBytes(&data, random: &random) }
        let token = random.pick(dictionary)
        let at = random.below(data.count + 1)
        if random.chance(0.5) || at == data.count {
            data.insert(contentsOf: token, at: at)
        } else {
            data.replaceSubrange(at..<min(data.count, at + token.count), with: token)
        }
    }
}
