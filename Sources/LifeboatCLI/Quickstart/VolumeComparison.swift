/// What a restore brought back of one backed-up volume: the verdict on each of its files, from two
/// ``VolumeFingerprint``s (no I/O).
///
/// A file is back when the restored volume holds it with at least its backed-up size and the same SHA-256 over those
/// bytes (``VolumeFingerprint/take(client:namespace:expected:)`` hashes that prefix): an application that appends
/// after the backup read the file, or once the restored pod started, is not a difference. Anything else is a
/// problem that names the pod, the volume and the file.
struct VolumeComparison: Sendable, Equatable {
    /// The volume as it was backed up.
    var expected: VolumeFingerprint.Volume
    /// Where the claim is mounted after the restore (nil: no running pod mounts it).
    var found: VolumeFingerprint.Volume?
    /// Files identical over their backed-up bytes that have grown since (appended to).
    var grown: [String]
    /// One line per file that is missing or differs, or one for the whole volume when it is not mounted.
    var problems: [String]

    var isIdentical: Bool { problems.isEmpty }

    /// `web-data: 4 files, 4.3 KiB, identical (1 file grew since: appended by the running application)`.
    var line: String {
        let files = expected.files.count
        var text =
            "\(expected.claim): \(files) file\(files == 1 ? "" : "s"), "
            + "\(PodVolumeProgressLine.bytes(Int64(expected.bytes))), "
        if isIdentical {
            text += "identical"
            if !grown.isEmpty {
                text +=
                    " (\(grown.count) file\(grown.count == 1 ? "" : "s") grew since: appended by the running "
                    + "application)"
            }
        } else {
            text += "\(problems.count) problem\(problems.count == 1 ? "" : "s")"
        }
        return text
    }

    /// One comparison per volume of `expected`, in its order.
    /// - Parameter namespace: named in the problems (`pod demo/db-0 volume data (claim data-db-0): …`).
    static func compare(
        expected: VolumeFingerprint,
        found: VolumeFingerprint,
        namespace: String
    ) -> [VolumeComparison] {
        let restored = Dictionary(found.volumes.map { ($0.claim, $0) }) { first, _ in first }
        return expected.volumes.map { volume in
            guard let back = restored[volume.claim] else {
                return VolumeComparison(
                    expected: volume,
                    found: nil,
                    grown: [],
                    problems: [
                        "\(volume.label(namespace: namespace)): no running pod mounts claim \(volume.claim) after "
                            + "the restore, so none of its \(volume.files.count) files can be read"
                    ]
                )
            }
            let files = Dictionary(back.files.map { ($0.path, $0) }) { first, _ in first }
            var grown: [String] = []
            var problems: [String] = []
            for file in volume.files {
                let subject = "\(back.label(namespace: namespace)): file \(back.mountPath)/\(file.path)"
                guard let now = files[file.path] else {
                    problems.append("\(subject) is missing")
                    continue
                }
                if now.size < file.size {
                    problems.append("\(subject) is shorter than backed up (\(now.size) bytes, was \(file.size))")
                } else if now.sha256 != file.sha256 {
                    problems.append("\(subject) differs from the backed-up content (first \(file.size) bytes)")
                } else if now.size > file.size {
                    grown.append(file.path)
                }
            }
            return VolumeComparison(expected: volume, found: back, grown: grown, problems: problems)
        }
    }
}
