import ArgumentParser
import Foundation

/// `lifeboat restore-helper <restore uid>` (hidden): the program of the `restore-wait` init container, Lifeboat's
/// counterpart of Velero's `/velero-restore-helper`.
///
/// Every second it looks at each folder under `/restores` (one per restored volume) for the marker
/// `.velero/<restore uid>` that the node agent writes when the volume's data is restored. Once every folder has
/// its marker it removes the `.velero` folders and exits 0, so the pod's containers start on their data. The
/// messages are Velero's. SIGTERM or SIGINT ends the wait.
struct RestoreHelperCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore-helper",
        abstract: "Wait for a restore's pod volume data (the restore-wait init container).",
        shouldDisplay: false
    )

    @Argument(help: "The restore's UID.") var restoreUID: String
    @Option(name: .long, help: .hidden) var restoresRoot = "/restores"
    @Option(name: .long, help: .hidden) var intervalMilliseconds = 1000

    func validate() throws {
        guard !restoreUID.isEmpty else {
            throw ValidationError("ERROR: exactly one argument must be provided, the restore's UID")
        }
        guard intervalMilliseconds > 0 else { throw ValidationError("--interval-milliseconds must be positive") }
    }

    func run() async throws {
        let helper = RestoreHelper(root: URL(fileURLWithPath: restoresRoot), restoreUID: restoreUID)
        let interval = Duration.milliseconds(intervalMilliseconds)
        try await SignalCancellation.exitOnInterruption {
            try await SignalCancellation.run {
                while true {
                    try await Task.sleep(for: interval)
                    let done = helper.done()
                    fflush(nil)
                    if done { break }
                }
                print("All restic restores are done")
                do {
                    try helper.removeFolders()
                    print("Done cleanup .velero folder")
                } catch {
                    print(error)
                }
                fflush(nil)
            }
        }
    }
}

/// The checks of Velero's `velero-restore-helper`, over a root folder.
struct RestoreHelper: Sendable {
    /// The folder holding one folder per restored volume (`/restores`).
    let root: URL
    /// The restore's UID: the name of each marker file.
    let restoreUID: String

    /// Whether every folder under the root has its `.velero/<uid>` marker (Velero's `done`), printing what it finds.
    func done() -> Bool {
        let manager = FileManager.default
        let children: [String]
        do {
            children = try manager.contentsOfDirectory(atPath: root.path).sorted()
        } catch {
            FileHandle.standardError.write(Data("ERROR reading \(root.path) directory: \(error)\n".utf8))
            return false
        }
        for child in children {
            guard isDirectory(root.appendingPathComponent(child)) else {
                print("\(child) is not a directory, skipping.")
                continue
            }
            let doneFile = root.appendingPathComponent(child).appendingPathComponent(".velero")
                .appendingPathComponent(restoreUID).path
            do {
                _ = try manager.attributesOfItem(atPath: doneFile)
            } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
                print("The filesystem restore done file \(doneFile) is not found yet. Retry later.")
                return false
            } catch {
                FileHandle.standardError.write(
                    Data("ERROR looking filesystem restore done file \(doneFile): \(error)\n".utf8)
                )
                return false
            }
            print("Found the done file \(doneFile)")
        }
        return true
    }

    /// Removes `.velero` from every volume folder (Velero's `removeFolder`).
    func removeFolders() throws {
        let manager = FileManager.default
        for child in try manager.contentsOfDirectory(atPath: root.path).sorted() {
            guard isDirectory(root.appendingPathComponent(child)) else {
                print("\(child) is not a directory, skipping.")
                continue
            }
            let donePath = root.appendingPathComponent(child).appendingPathComponent(".velero")
            if manager.fileExists(atPath: donePath.path) { try manager.removeItem(at: donePath) }
            // Velero prints this without a newline.
            print("Deleted \(donePath.path)", terminator: "")
        }
    }

    private func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
