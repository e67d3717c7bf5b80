import Foundation

extension AWSCredentials {
    /// Parses an AWS shared-credentials file (INI) and returns the keys of `profile`.
    ///
    /// Accepts `[name]` and `[profile name]` sections, `#` and `;` comments, and the keys
    /// `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` (names case-insensitive).
    /// - Parameters:
    ///   - text: the file's content (e.g. the BSL credential Secret's value).
    ///   - profile: the section to use (Velero's `profile` config key; default `default`).
    ///   - source: names the file in error messages.
    /// - Throws: `.invalidConfiguration` naming the profile and the source when it is missing or incomplete.
    public static func parseSharedCredentials(
        _ text: String,
        profile: String = "default",
        source: String = "credentials file"
    ) throws -> AWSCredentials {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.trimming(" \t")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimming(" \t")
                if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimming(" \t") }
                current = name
                sections[name, default: [:]] = sections[name, default: [:]]
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimming(" \t").lowercased()
            let value = String(line[line.index(after: equals)...]).trimming(" \t")
            sections[current, default: [:]][key] = value
        }
        guard let section = sections[profile] else {
            let known = sections.keys.sorted().joined(separator: ", ")
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "profile \"\(profile)\" not found in \(source) (profiles: \(known.isEmpty ? "none" : known))"
            )
        }
        guard let id = section["aws_access_key_id"], !id.isEmpty else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "profile \"\(profile)\" in \(source) has no aws_access_key_id"
            )
        }
        guard let secret = section["aws_secret_access_key"], !secret.isEmpty else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "profile \"\(profile)\" in \(source) has no aws_secret_access_key"
            )
        }
        let token = section["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    /// How a user gives credentials, for the errors that find none.
    static let howToGiveCredentials =
        "give the location a credential (`--credential <secret>=<key>`), or set AWS_ACCESS_KEY_ID and "
        + "AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE"

    /// Resolves credentials as Velero's AWS plugin does.
    ///
    /// Order: the BSL credential (shared-credentials file text) when given; else `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) from `environment`; else the file named by
    /// `AWS_SHARED_CREDENTIALS_FILE`; else `$HOME/.aws/credentials`.
    /// - Parameters:
    ///   - credentialFile: the content of the BSL's credential Secret key, if any.
    ///   - profile: the profile to read from a credentials file (`AWS_PROFILE` if nil, then `default`).
    ///   - environment: the process environment.
    public static func resolve(
        credentialFile: String?,
        profile: String?,
        environment: [String: String]
    ) throws -> AWSCredentials {
        let profile = profile.flatMap { $0.isEmpty ? nil : $0 } ?? environment["AWS_PROFILE"] ?? "default"
        if let credentialFile {
            return try parseSharedCredentials(credentialFile, profile: profile, source: "the BSL credential")
        }
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw ObjectStoreError(
                    code: .invalidConfiguration,
                    message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                )
            }
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
        }
        let named = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        var path = named
        if path == nil, let home = environment["HOME"] { path = home + "/.aws/credentials" }
        guard let path else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "no AWS credentials: no BSL credential, no AWS_ACCESS_KEY_ID, no AWS_SHARED_CREDENTIALS_FILE; "
                    + Self.howToGiveCredentials
            )
        }
        guard FileManager.default.fileExists(atPath: path) else {
            let origin = named == nil ? "" : " (AWS_SHARED_CREDENTIALS_FILE)"
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "no AWS credentials: the credentials file \(path)\(origin) does not exist; "
                    + Self.howToGiveCredentials
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = access(path, R_OK) == 0 ? "it cannot be read" : String(cString: strerror(errno))
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "cannot read AWS credentials file \(path): \(reason)"
            )
        }
        return try parseSharedCredentials(String(decoding: data, as: UTF8.self), profile: profile, source: path)
    }
}

extension StringProtocol {
    /// The string without leading and trailing characters from `characters`.
    func trimming(_ characters: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
