import VeleroAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The pod volume's folder as the data path sees it.
enum VolumeFolder {
    /// Whether the folder has no entries (an empty volume gives an empty snapshot, as restic's "snapshot is
    /// empty").
    /// - Throws: an error naming the folder and the errno when it cannot be read.
    static func isEmpty(_ path: String) throws -> Bool {
        guard let directory = opendir(path) else {
            let code = errno
            throw BackupEngineError(
                code: .invalidSpec,
                message: "cannot read volume folder \(path): \(String(cString: strerror(code))) (errno \(code))"
            )
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { return false }
        }
        return true
    }
}

/// The uploader types the data path can run.
enum UploaderTypes {
    /// Checks `uploaderType` of the load of `volume` (`<namespace>/<pod>/<volume>`): restic (or unset) only.
    /// - Throws: an error naming the uploader and the volume for anything else (Velero's `kopia`).
    static func check(_ uploaderType: String?, volume: String) throws {
        let type = uploaderType ?? ""
        guard !type.isEmpty, type != PodVolumeRepositories.uploaderType else { return }
        throw BackupEngineError(
            code: .invalidSpec,
            message: "uploader type \"\(type)\" of volume \(volume) is not supported: Lifeboat's data path reads "
                + "and writes restic repositories only (a backup Velero made with kopia must be restored by Velero)"
        )
    }
}
