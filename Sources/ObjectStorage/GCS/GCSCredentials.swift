import Foundation

/// How a `GCSObjectStore` authenticates: OAuth 2.0 access tokens from a service-account key, or nothing
/// (an emulator, as Google's SDKs do when `STORAGE_EMULATOR_HOST` is set).
public enum GCSCredentials: Sendable {
    case anonymous
    case serviceAccount(GCSServiceAccountKey)

    /// The credentials Velero's GCP plugin would use, in its order: the BSL credential's content, the
    /// `credentialsFile` config key, `GOOGLE_APPLICATION_CREDENTIALS`; none when `STORAGE_EMULATOR_HOST` is set
    /// and nothing else is given.
    /// - Parameters:
    ///   - credential: the BSL credential Secret's value (a service-account JSON key), if any.
    ///   - credentialsFile: the BSL's `credentialsFile` config value, if any.
    /// - Throws: `.invalidConfiguration` naming the file and the field at fault, or saying how to give credentials.
    public static func resolve(
        credential: String?,
        credentialsFile: String?,
        environment: [String: String]
    ) throws -> GCSCredentials {
        if let credential, !credential.trimming(" \n\t\r").isEmpty {
            return .serviceAccount(try GCSServiceAccountKey(json: credential, source: "BSL credential"))
        }
        let path =
            credentialsFile.flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["GOOGLE_APPLICATION_CREDENTIALS"].flatMap { $0.isEmpty ? nil : $0 }
        if let path { return .serviceAccount(try readKeyFile(path)) }
        if GCSConfiguration.emulatorEndpoint(environment: environment) != nil { return .anonymous }
        throw ObjectStoreError(
            code: .invalidConfiguration,
            message:
                "no GCP credentials: give the location a credential (`--credential <secret>=<key>` holding a "
                + "service-account JSON key), set config credentialsFile, or set GOOGLE_APPLICATION_CREDENTIALS"
        )
    }

    /// Reads and parses the service-account key file at `path`.
    public static func readKeyFile(_ path: String) throws -> GCSServiceAccountKey {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "credentials file \(path) cannot be read",
                cause: error
            )
        }
        return try GCSServiceAccountKey(json: String(decoding: data, as: UTF8.self), source: "credentials file \(path)")
    }
}
