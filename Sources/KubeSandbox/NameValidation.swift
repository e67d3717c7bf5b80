/// Kubernetes name rules (RFC 1123 subdomain and label, path-segment names).
enum NameValidation {
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
        + "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

    /// Problems with `name` for objects of `type`, as (field message) strings; empty when valid.
    static func problems(name: String, for type: ResourceType) -> [String] {
        if type.group == "rbac.authorization.k8s.io" || type.plural == "nodes" && name.contains(":") {
            return pathSegmentProblems(name)
        }
        if type.group.isEmpty && type.plural == "namespaces" {
            return isLabel(name) ? [] : [labelMessage] + (name.count > 63 ? ["must be no more than 63 characters"] : [])
        }
        if type.group.isEmpty && type.plural == "services" {
            return isLabel(name) && name.first?.isLetter == true
                ? []
                : [
                    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                        + "an alphabetic character, and end with an alphanumeric character"
                ]
        }
        var problems: [String] = []
        if name.utf8.count > 253 { problems.append("must be no more than 253 characters") }
        if !isSubdomain(name) { problems.append(subdomainMessage) }
        return problems
    }

    static func isLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        for (index, byte) in bytes.enumerated() {
            let alnum = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            if alnum { continue }
            if byte == UInt8(ascii: "-") && index != 0 && index != bytes.count - 1 { continue }
            return false
        }
        return true
    }

    static func isSubdomain(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isLabel(String($0)) }
    }

    static func pathSegmentProblems(_ name: String) -> [String] {
        if name.isEmpty { return ["name or generateName is required"] }
        if name == "." || name == ".." { return ["may not be '\(name)'"] }
        if name.contains("/") || name.contains("%") { return ["may not contain '/' or '%'"] }
        return []
    }

    /// Random suffix alphabet used for generateName (as the real server).
    static let suffixAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// `prefix` plus five random characters.
    static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let suffix = String((0..<5).map { _ in suffixAlphabet.randomElement(using: &generator)! })
        return String(prefix.prefix(58)) + suffix
    }
}
