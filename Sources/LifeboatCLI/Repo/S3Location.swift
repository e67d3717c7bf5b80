import ArgumentParser
import ObjectStorage

/// Parses restic's `s3:http(s)://host[:port]/bucket[/prefix]` repository syntax.
enum S3Location {
    struct Parsed: Equatable {
        var endpoint: String
        var bucket: String
        var prefix: String
    }

    static func parse(_ url: String) throws -> Parsed {
        let rest = String(url.dropFirst(3))
        guard rest.hasPrefix("http://") || rest.hasPrefix("https://") else {
            throw ValidationError("repository \(url): expected s3:http(s)://host[:port]/bucket[/prefix]")
        }
        let scheme = rest.hasPrefix("https://") ? "https://" : "http://"
        let afterScheme = rest.dropFirst(scheme.count)
        let parts = afterScheme.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2 else {
            throw ValidationError("repository \(url): no bucket given (s3:http(s)://host[:port]/bucket[/prefix])")
        }
        let prefix = parts.dropFirst(2).joined(separator: "/")
        return Parsed(endpoint: scheme + parts[0], bucket: parts[1], prefix: prefix.isEmpty ? "" : prefix + "/")
    }

    static func open(_ url: String) throws -> (store: any ObjectStore, prefix: String) {
        let parsed = try parse(url)
        throw ValidationError("repository \(url): S3 repositories (bucket \(parsed.bucket) at \(parsed.endpoint)) need the S3 object store, which is not built yet")
    }
}
