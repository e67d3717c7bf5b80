import ArgumentParser
import Foundation
import Logging
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

    /// An S3 store for the URL; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the shared
    /// credentials file), region from AWS_DEFAULT_REGION/AWS_REGION (default us-east-1).
    static func open(_ url: String, logger: Logger) throws -> (store: any ObjectStore, prefix: String) {
        let parsed = try parse(url)
        let env = ProcessInfo.processInfo.environment
        let region = env["AWS_DEFAULT_REGION"] ?? env["AWS_REGION"] ?? "us-east-1"
        let isAWS = parsed.endpoint.hasSuffix(".amazonaws.com")
        let configuration = S3Configuration(
            bucket: parsed.bucket,
            region: region,
            endpoint: parsed.endpoint,
            forcePathStyle: !isAWS
        )
        do {
            let credentials = try AWSCredentials.resolve(
                credentialFile: nil,
                profile: env["AWS_PROFILE"],
                environment: env
            )
            let store = try S3ObjectStore(configuration: configuration, credentials: credentials, logger: logger)
            return (store, parsed.prefix)
        } catch {
            throw ValidationError("repository \(url): \(error)")
        }
    }
}
