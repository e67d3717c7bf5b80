/// Validation of label keys and values (apimachinery's IsQualifiedName / IsValidLabelValue).
enum LabelValidation {
    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// Problem with a name part / value: `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters.
    static func nameProblem(_ s: String, what: String) -> String? {
        let b = Array(s.utf8)
        if b.count > 63 { return "\(what) must be no more than 63 characters" }
        guard let first = b.first, let last = b.last else { return "\(what) must be non-empty" }
        let middleOK = b.allSatisfy { isAlnum($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
        if !middleOK || !isAlnum(first) || !isAlnum(last) {
            return
                "\(what) must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }

    /// Problem with a DNS-1123 subdomain (a key prefix).
    static func subdomainProblem(_ s: String) -> String? {
        let b = Array(s.utf8)
        if b.isEmpty { return "prefix part must be non-empty" }
        if b.count > 253 { return "prefix part must be no more than 253 characters" }
        for label in s.split(separator: ".", omittingEmptySubsequences: false) {
            let l = Array(label.utf8)
            let ok =
                !l.isEmpty && l.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }
                && l.first != 0x2D && l.last != 0x2D
            if !ok {
                return
                    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            }
        }
        return nil
    }

    /// Problem with a label key (`[prefix/]name`), nil when valid.
    static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return nameProblem(key, what: "name part")
        case 2:
            if let p = subdomainProblem(String(parts[0])) { return p }
            return nameProblem(String(parts[1]), what: "name part")
        default:
            return
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'"
        }
    }

    /// Problem with a label value (empty is valid), nil when valid.
    static func valueProblem(_ value: String) -> String? {
        value.isEmpty ? nil : nameProblem(value, what: "a valid label")
    }
}
