import ArgumentParser
import Foundation

/// Where the benchmarks find their helper files and tools, without a machine's absolute path in a default.
///
/// A relative path is tried against the current directory first, then against the package root (the nearest
/// directory above the `lifeboat-bench` executable that holds `Package.swift`), so
/// `../shared/bench/make-dataset.py` works from the repository and from anywhere else.
enum BenchPaths {
    /// The package the running executable was built in, if it is still there.
    static var packageRoot: URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    /// The existing file `path` names, trying a relative path against the current directory and then the
    /// package root.
    ///
    /// - Parameters:
    ///   - path: an absolute path, or one relative to the current directory or the package root.
    ///   - option: the command-line option that sets it, named in the error.
    /// - Returns: the absolute path of the file.
    /// - Throws: `ValidationError` naming every place tried when the file is in none of them.
    static func existingFile(_ path: String, option: String) throws -> String {
        let fileManager = FileManager.default
        var candidates: [String] = []
        if path.hasPrefix("/") {
            candidates = [path]
        } else {
            candidates.append(URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent(path).path)
            if let root = packageRoot {
                candidates.append(root.appendingPathComponent(path).path)
            }
        }
        let normalized = candidates.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let found = normalized.first(where: { fileManager.fileExists(atPath: $0) }) {
            return found
        }
        var tried: [String] = []
        for candidate in normalized where !tried.contains(candidate) { tried.append(candidate) }
        throw ValidationError(
            "\(option) \(path) not found (tried \(tried.joined(separator: ", "))); pass \(option) PATH"
        )
    }

    /// The `lifeboat` executable: `option`'s value (`--lifeboat`), else the one next to `lifeboat-bench`.
    ///
    /// - Throws: `ValidationError` when it is not an executable file.
    static func lifeboat(_ given: String?) throws -> String {
        let path =
            given
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("lifeboat").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ValidationError("lifeboat not found at \(path); build it with -c release or pass --lifeboat")
        }
        return path
    }

    /// The executable `name` names: a path (containing `/`) as given, else the first match on `PATH`.
    ///
    /// - Throws: `ValidationError` when there is no such executable.
    static func executable(_ name: String, option: String) throws -> String {
        let fileManager = FileManager.default
        if name.contains("/") {
            guard fileManager.isExecutableFile(atPath: name) else {
                throw ValidationError("\(option) \(name) is not an executable file")
            }
            return name
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let found = searchPath.split(separator: ":").map { "\($0)/\(name)" }
            .first { fileManager.isExecutableFile(atPath: $0) }
        guard let found else {
            throw ValidationError("\(name) not found on PATH; install it or pass \(option) PATH")
        }
        return found
    }
}
