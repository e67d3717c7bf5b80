import VolumeRepository

extension PodVolumeDataMover {
    /// Item errors shown in a load's message: at most this many.
    static let shownItemErrors = 3
    /// A path longer than this (UTF-8 bytes) is shown by its start and end.
    static let shownPathLength = 240

    /// The first ``shownItemErrors`` of `errors` as `path: message; …`, each path shortened to about
    /// ``shownPathLength`` bytes (its start, `…`, its end) so the message fits the container's termination
    /// message, which keeps only the last 4096 bytes, with the errno and the summary in front of it intact.
    static func describe(_ errors: [ItemError]) -> String {
        errors.prefix(shownItemErrors).map { "\(shortened($0.path)): \($0.message)" }.joined(separator: "; ")
    }

    /// `path` itself when short enough, else its first and last bytes around `…` (a character cut in two shows
    /// as U+FFFD).
    static func shortened(_ path: String) -> String {
        guard path.utf8.count > shownPathLength else { return path }
        let head = path.utf8.prefix(shownPathLength / 3)
        let tail = path.utf8.suffix(shownPathLength - shownPathLength / 3)
        return "\(String(decoding: head, as: UTF8.self))…\(String(decoding: tail, as: UTF8.self))"
    }
}
