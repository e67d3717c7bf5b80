import BackupEngine
import Foundation
import Synchronization

/// Shows the file-system backup of pod volumes while `backup create` waits: bytes done of total, rate and ETA per
/// volume (from the PodVolumeBackups' `status.progress`), on one rewritten line on a terminal, else as `progress:`
/// lines at most every few seconds; and a summary line per volume at the end.
final class PodVolumeProgressLine: Sendable {
    /// What is known of one volume.
    private struct Track {
        var latest: PodVolumeProgress
        /// The first sample with bytes moving, for the rate.
        var firstSample: (time: ContinuousClock.Instant, bytes: Int64)?
        var lastSample: (time: ContinuousClock.Instant, bytes: Int64)?
    }

    private struct State {
        var tracks: [String: Track] = [:]
        var order: [String] = []
        var lastPrinted: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let isTTY: Bool
    private let interval: Duration

    init(isTTY: Bool) {
        self.isTTY = isTTY
        self.interval = isTTY ? .milliseconds(250) : .seconds(5)
    }

    /// Takes in one reading of every PodVolumeBackup and prints when due.
    func update(_ volumes: [PodVolumeProgress]) {
        let now = ContinuousClock.now
        let text: String? = state.withLock { state in
            for volume in volumes {
                if state.tracks[volume.name] == nil { state.order.append(volume.name) }
                var track = state.tracks[volume.name] ?? Track(latest: volume)
                track.latest = volume
                if volume.bytesDone > 0 {
                    if track.firstSample == nil { track.firstSample = (now, volume.bytesDone) }
                    track.lastSample = (now, volume.bytesDone)
                }
                state.tracks[volume.name] = track
            }
            if let last = state.lastPrinted, now - last < interval { return nil }
            state.lastPrinted = now
            return Self.line(state)
        }
        guard let text else { return }
        if isTTY {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        } else {
            FileHandle.standardError.write(Data("progress: \(text)\n".utf8))
        }
    }

    /// One summary line per volume (`  ns/pod volume: Completed, 12.0 MiB`), empty when there were none.
    var summary: [String] {
        state.withLock { state in
            state.order.compactMap { state.tracks[$0] }.map { track in
                let volume = track.latest
                var line = "  \(volume.pod) \(volume.volume): \(volume.phase)"
                if volume.totalBytes > 0 { line += ", \(Self.bytes(volume.totalBytes))" }
                if let rate = Self.rate(track) { line += " at \(Self.bytes(Int64(rate)))/s" }
                if let message = volume.message, !message.isEmpty, volume.phase != "Completed" {
                    line += " (\(message))"
                }
                return line
            }
        }
    }

    private static func line(_ state: State) -> String {
        let tracks = state.order.compactMap { state.tracks[$0] }
        let ended = tracks.filter { ["Completed", "Failed", "Canceled", "TimedOut"].contains($0.latest.phase) }.count
        var text = "pod volumes: \(ended)/\(tracks.count) done"
        for track in tracks where !["Completed", "Failed", "Canceled", "TimedOut"].contains(track.latest.phase) {
            let volume = track.latest
            text += "; \(volume.pod) \(volume.volume) \(volume.phase)"
            guard volume.totalBytes > 0 else { continue }
            text += " \(bytes(volume.bytesDone))/\(bytes(volume.totalBytes))"
            if let rate = rate(track), rate > 0 {
                let remaining = Double(max(0, volume.totalBytes - volume.bytesDone)) / rate
                text += " \(bytes(Int64(rate)))/s ETA \(Int(remaining.rounded(.up)))s"
            }
        }
        return text
    }

    /// Bytes per second between the first and the last moving sample.
    private static func rate(_ track: Track) -> Double? {
        guard let first = track.firstSample, let last = track.lastSample else { return nil }
        let elapsed = last.time - first.time
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds > 0 else { return nil }
        return Double(last.bytes - first.bytes) / seconds
    }

    /// `512 B`, `12.0 KiB`, `3.4 MiB`, `1.2 GiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
