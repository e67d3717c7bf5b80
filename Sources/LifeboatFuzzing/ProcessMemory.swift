import Foundation

/// The process's memory as Linux reports it in `/proc/self/status` (0 where it is not available).
package enum ProcessMemory {
    /// The resident set size now, in bytes.
    package static func residentBytes() -> Int { field("VmRSS:") }

    /// The highest resident set size so far, in bytes.
    package static func peakResidentBytes() -> Int { field("VmHWM:") }

    private static func field(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let digits = line.dropFirst(name.count).filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}
