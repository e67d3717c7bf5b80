import struct Foundation.Data

extension S3Configuration {
    /// The config keys of Velero's AWS plugin that Lifeboat understands.
    public static let bslConfigKeys: Set<String> = [
        "region", "s3Url", "publicUrl", "s3ForcePathStyle", "insecureSkipTLSVerify", "profile",
        "serverSideEncryption", "kmsKeyId", "checksumAlgorithm", "caCert", "credentialsFile", "enableSharedConfig",
        "signatureVersion", "tagging", "bucket", "prefix",
    ]

    /// Builds a configuration from a BackupStorageLocation's `spec.config` (Velero AWS-plugin keys).
    ///
    /// | key | type | default |
    /// |---|---|---|
    /// | `region` | string | `us-east-1` (required for AWS itself unless `s3Url` is set) |
    /// | `s3Url` | URL | `https://s3.<region>.amazonaws.com` |
    /// | `s3ForcePathStyle` | bool | `false` |
    /// | `insecureSkipTLSVerify` | bool | `false` |
    /// | `profile` | string | `default` |
    /// | `serverSideEncryption` | string (`AES256`, `aws:kms`) | none |
    /// | `kmsKeyId` | string | none |
    /// | `checksumAlgorithm` | `CRC32`, `CRC32C`, `SHA1`, `SHA256` or empty (none) | `CRC32` |
    /// | `caCert` | PEM, or base64 of PEM | none |
    /// | `publicUrl` | URL | `s3Url` (the endpoint presigned download URLs name) |
    ///
    /// - Parameters:
    ///   - bucket: the BSL's `objectStorage.bucket`.
    ///   - bslConfig: the BSL's `config` map.
    ///   - caCert: the BSL's `objectStorage.caCert` (PEM or base64 PEM), used when `config.caCert` is absent.
    /// - Throws: `.invalidConfiguration` naming the key and the bad value.
    public init(bucket: String, bslConfig config: [String: String], caCert: String? = nil) throws {
        func bool(_ key: String) throws -> Bool {
            guard let raw = config[key]?.trimming(" "), !raw.isEmpty else { return false }
            switch raw.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default:
                throw ObjectStoreError(
                    code: .invalidConfiguration,
                    message: "BSL config \(key)=\"\(raw)\" is not a boolean (true|false)"
                )
            }
        }
        guard !bucket.isEmpty, !bucket.contains("/") || bucket.hasPrefix("arn:aws:s3:") else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "bucket \"\(bucket)\" is not a valid bucket name"
            )
        }
        let region = config["region"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        var endpoint: String?
        if let url = config["s3Url"], !url.isEmpty {
            endpoint = try Self.validatedEndpoint(url, key: "s3Url")
        }
        var publicEndpoint: String?
        if let url = config["publicUrl"], !url.isEmpty {
            publicEndpoint = try Self.validatedEndpoint(url, key: "publicUrl")
        }
        var checksum: ChecksumAlgorithm? = .crc32
        if let raw = config["checksumAlgorithm"] {
            if raw.isEmpty {
                checksum = nil
            } else if let algorithm = ChecksumAlgorithm(rawValue: raw.uppercased()) {
                checksum = algorithm
            } else {
                throw ObjectStoreError(
                    code: .invalidConfiguration,
                    message:
                        "BSL config checksumAlgorithm=\"\(raw)\" is not one of CRC32, CRC32C, SHA1, SHA256 or empty"
                )
            }
        }
        var pem = config["caCert"].flatMap { $0.isEmpty ? nil : $0 } ?? caCert
        if let text = pem, !text.contains("-----BEGIN") {
            guard let data = Data(base64Encoded: text.trimming(" \n\r\t")),
                let decoded = String(data: data, encoding: .utf8), decoded.contains("-----BEGIN")
            else {
                throw ObjectStoreError(
                    code: .invalidConfiguration,
                    message: "caCert is neither PEM nor base64-encoded PEM"
                )
            }
            pem = decoded
        }
        let sse = config["serverSideEncryption"].flatMap { $0.isEmpty ? nil : $0 }
        let kms = config["kmsKeyId"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(
            bucket: bucket,
            region: region,
            endpoint: endpoint,
            forcePathStyle: try bool("s3ForcePathStyle"),
            insecureSkipTLSVerify: try bool("insecureSkipTLSVerify"),
            caCertificatePEM: pem,
            serverSideEncryption: sse,
            kmsKeyID: kms,
            checksumAlgorithm: checksum,
            profile: config["profile"].flatMap { $0.isEmpty ? nil : $0 },
            publicEndpoint: publicEndpoint
        )
    }

    /// Checks that `url` is `http(s)://host[:port][/path]`; returns it without a trailing `/`.
    static func validatedEndpoint(_ url: String, key: String) throws -> String {
        guard let parts = S3Endpoint(url) else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "BSL config \(key)=\"\(url)\" is not an http:// or https:// URL with a host"
            )
        }
        return parts.description
    }
}
