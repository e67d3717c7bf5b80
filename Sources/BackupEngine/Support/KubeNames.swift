/// Kubernetes name rules (apimachinery `validation`), for names Lifeboat makes or accepts.
package enum KubeNames {
    /// RFC 1123 subdomain: at most 253 characters of lowercase alphanumerics, `-` and `.`,
    /// starting and ending with an alphanumeric (the rule for most object names).
    package static func isDNSSubdomain(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            isLabelPart(Substring($0), maxLength: 253)
        }
    }

    /// RFC 1123 label: at most 63 characters of lowercase alphanumerics and `-`, alphanumeric at both ends
    /// (the rule for namespace names).
    package static func isDNSLabel(_ name: String) -> Bool {
        isLabelPart(Substring(name), maxLength: 63)
    }

    private static func isLabelPart(_ part: Substring, maxLength: Int) -> Bool {
        guard let first = part.utf8.first, let last = part.utf8.last, part.utf8.count <= maxLength else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) }
        return alnum(first) && alnum(last) && part.utf8.allSatisfy { alnum($0) || $0 == 0x2d }
    }
}
