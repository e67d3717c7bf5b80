import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The sandbox's self-signed CA and the server certificate it issues (SANs 127.0.0.1 and localhost),
/// as PEM. Persisted in the data directory so a kubeconfig keeps working across restarts.
struct SandboxCertificates: Sendable {
    var caCertificatePEM: String
    var serverCertificatePEM: String
    var serverKeyPEM: String

    /// Generates a fresh CA and server certificate (ECDSA P-256, valid ten years).
    static func generate() throws -> SandboxCertificates {
        do {
            let now = Date()
            let caKey = P256.Signing.PrivateKey()
            let caName = try DistinguishedName {
                OrganizationName("Lifeboat")
                CommonName("lifeboat-sandbox-ca")
            }
            let caCertificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(caKey.publicKey),
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(3650 * 86400),
                issuer: caName,
                subject: caName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey))
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey)
            )
            let serverKey = P256.Signing.PrivateKey()
            let serverName = try DistinguishedName { CommonName("lifeboat-sandbox") }
            let serverCertificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(serverKey.publicKey),
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(3650 * 86400),
                issuer: caName,
                subject: serverName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames([
                        .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    ])
                    AuthorityKeyIdentifier(
                        keyIdentifier: SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey)).keyIdentifier
                    )
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey)
            )
            return SandboxCertificates(
                caCertificatePEM: try caCertificate.serializeAsPEM().pemString,
                serverCertificatePEM: try serverCertificate.serializeAsPEM().pemString,
                serverKeyPEM: serverKey.pemRepresentation
            )
        } catch {
            throw SandboxError(.certificate, "cannot generate the sandbox CA and server certificate", cause: error)
        }
    }

    /// Loads the PEM files from `directory`, or generates and writes them.
    static func loadOrGenerate(in directory: URL?) throws -> SandboxCertificates {
        guard let directory else { return try generate() }
        let files = ["ca.crt", "server.crt", "server.key"].map { directory.appendingPathComponent($0) }
        if files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
            do {
                let texts = try files.map { try String(contentsOf: $0, encoding: .utf8) }
                return SandboxCertificates(
                    caCertificatePEM: texts[0],
                    serverCertificatePEM: texts[1],
                    serverKeyPEM: texts[2]
                )
            } catch {
                throw SandboxError(.certificate, "cannot read certificates in \(directory.path)", cause: error)
            }
        }
        let generated = try generate()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try generated.caCertificatePEM.write(to: files[0], atomically: true, encoding: .utf8)
            try generated.serverCertificatePEM.write(to: files[1], atomically: true, encoding: .utf8)
            try generated.serverKeyPEM.write(to: files[2], atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: files[2].path)
        } catch {
            throw SandboxError(.certificate, "cannot write certificates to \(directory.path)", cause: error)
        }
        return generated
    }

    /// The NIOSSL server configuration.
    func tlsConfiguration() throws -> TLSConfiguration {
        do {
            let certificate = try NIOSSLCertificate(bytes: Array(serverCertificatePEM.utf8), format: .pem)
            let key = try NIOSSLPrivateKey(bytes: Array(serverKeyPEM.utf8), format: .pem)
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(certificate)],
                privateKey: .privateKey(key)
            )
        } catch {
            throw SandboxError(.certificate, "cannot load the server certificate into TLS", cause: error)
        }
    }
}
