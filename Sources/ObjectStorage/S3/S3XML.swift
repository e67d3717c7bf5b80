/// Just enough XML for S3's answers: the text of simple elements, with entities decoded.
///
/// S3 response documents are flat and well-formed; this scanner finds `<Name>…</Name>` pairs
/// without a general parser.
enum S3XML {
    /// The raw contents of every `<name>…</name>` element in `xml`, in order (not nested in themselves).
    static func elements(_ name: String, in xml: Substring) -> [Substring] {
        let open = "<\(name)>"
        let close = "</\(name)>"
        var result: [Substring] = []
        var rest = xml
        while let start = rest.firstRange(of: open) {
            let after = rest[start.upperBound...]
            guard let end = after.firstRange(of: close) else { break }
            result.append(after[..<end.lowerBound])
            rest = after[end.upperBound...]
        }
        return result
    }

    /// The decoded text of the first `<name>` element in `xml`.
    static func value(_ name: String, in xml: Substring) -> String? {
        if xml.contains("<\(name)/>") && !xml.contains("<\(name)>") { return "" }
        return elements(name, in: xml).first.map { decode($0) }
    }

    /// Decodes the five predefined entities and numeric character references.
    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let ch = text[i]
            if ch == "&", let semi = text[i...].firstIndex(of: ";"), text.distance(from: i, to: semi) <= 10 {
                let entity = text[text.index(after: i)..<semi]
                var replacement: String?
                switch entity {
                case "amp": replacement = "&"
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        replacement = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map {
                            String($0)
                        }
                    } else if entity.hasPrefix("#") {
                        replacement = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                    }
                }
                if let replacement {
                    out += replacement
                    i = text.index(after: semi)
                    continue
                }
            }
            out.append(ch)
            i = text.index(after: i)
        }
        return out
    }

    /// Escapes text for an XML element.
    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}
