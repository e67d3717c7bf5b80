extension GCSConfiguration {
    /// The config keys of Velero's GCP plugin that Lifeboat understands.
    public static let bslConfigKeys: Set<String> = [
        "serviceAccount", "kmsKeyName", "credentialsFile", "storeEndpoint", "bucket", "prefix",
    ]

    /// Builds a configuration from a BackupStorageLocation's `spec.config` (Velero GCP-plugin keys).
    ///
    /// | key | type | default |
    /// |---|---|---|
    /// | `storeEndpoint` | URL | `https://storage.googleapis.com` (or `STORAGE_EMULATOR_HOST`) |
    /// | `kmsKeyName` | string (`projects/…/cryptoKeys/…`) | none |
    /// | `serviceAccount` | email | the key's `client_email` (signs download URLs) |
    /// | `credentialsFile` | path | the BSL credential, else `GOOGLE_APPLICATION_CREDENTIALS` |
    ///
    /// `STORAGE_EMULATOR_HOST` (`http://127.0.0.1:9023`, as Google's SDKs read it) points the store at an
    /// emulator, which takes no credentials; `storeEndpoint` wins over it.
    /// - Throws: `.invalidConfiguration` naming the key and the bad value.
    public init(bucket: String, bslConfig config: [String: String], environment: [String: String] = [:]) throws {
        func value(_ key: String) -> String? {
            guard let raw = config[key]?.trimming(" "), !raw.isEmpty else { return nil }
            return raw
        }
        var endpoint = GCSConfiguration.googleEndpoint
        if let emulator = GCSConfiguration.emulatorEndpoint(environment: environment) { endpoint = emulator }
        if let custom = value("storeEndpoint") {
            guard custom.hasPrefix("http://") || custom.hasPrefix("https://") else {
                throw ObjectStoreError(
                    code: .invalidConfiguration,
                    message: "BSL config storeEndpoint=\"\(custom)\" is not an http(s) URL"
                )
            }
            endpoint = custom
        }
        guard !bucket.isEmpty, !bucket.contains("/") else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "GCS bucket name \"\(bucket)\" is empty or contains '/'"
            )
        }
        self.init(
            bucket: bucket,
            endpoint: endpoint,
            kmsKeyName: value("kmsKeyName"),
            serviceAccount: value("serviceAccount")
        )
    }

    /// `STORAGE_EMULATOR_HOST` as an endpoint URL (`http://` added when it names only host and port), or `nil`.
    static func emulatorEndpoint(environment: [String: String]) -> String? {
        guard let host = environment["STORAGE_EMULATOR_HOST"]?.trimming(" "), !host.isEmpty else { return nil }
        if host.hasPrefix("http://") || host.hasPrefix("https://") { return host }
        return "http://" + host
    }
}
