import NIOCore
import NIOSSL

/// Builds NIOSSL configurations from ``KubeConfig/TLS`` and explains TLS failures.
enum TLSSupport {
    static func certificates(pem: [UInt8]) throws -> [NIOSSLCertificate] {
        try NIOSSLCertificate.fromPEMBytes(pem)
    }

    /// The client TLS configuration: custom CA (else system roots), client certificate, insecure mode.
    static func configuration(_ tls: KubeConfig.TLS, source: String) throws -> TLSConfiguration {
        var config = TLSConfiguration.makeClientConfiguration()
        // After sending close_notify, do not wait for the server's before closing the socket. NIO's default
        // (5 s) made every shutdown with a watch open take 5 s, and even 250 ms was a quarter of a second at the
        // end of every command that had watched something: an API server streaming a watch does not answer
        // close_notify. Closing without waiting for it is what kubectl (Go's crypto/tls) does.
        config.shutdownTimeout = .zero
        if tls.insecureSkipTLSVerify {
            config.certificateVerification = .none
        } else if let ca = tls.certificateAuthorityPEM {
            let certs: [NIOSSLCertificate]
            do {
                certs = try certificates(pem: ca)
            } catch {
                throw KubeError(
                    code: .config,
                    message: "kubeconfig \(source): certificate-authority is not a valid PEM certificate bundle"
                )
            }
            guard !certs.isEmpty else {
                throw KubeError(
                    code: .config,
                    message: "kubeconfig \(source): certificate-authority contains no certificate"
                )
            }
            config.trustRoots = .certificates(certs)
        }
        if let certPEM = tls.clientCertificatePEM, let keyPEM = tls.clientKeyPEM {
            do {
                let chain = try certificates(pem: certPEM)
                config.certificateChain = chain.map { .certificate($0) }
            } catch {
                throw KubeError(
                    code: .config,
                    message: "kubeconfig \(source): client-certificate is not a valid PEM certificate"
                )
            }
            do {
                config.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: keyPEM, format: .pem))
            } catch {
                throw KubeError(
                    code: .config,
                    message: "kubeconfig \(source): client-key is not a valid PEM private key"
                )
            }
        }
        return config
    }

    /// Whether an error (or its description) is a TLS failure, and if so why, in kubectl-like words.
    static func explain(_ error: any Error) -> String? {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "certificate name mismatch: \(extra)"
        }
        let text = String(describing: error)
        let lower = text.lowercased()
        guard
            error is NIOSSLError || error is NIOSSLExtraError || lower.contains("ssl") || lower.contains("certificate")
        else {
            return nil
        }
        if lower.contains("expired") { return "certificate has expired or is not yet valid" }
        if lower.contains("hostname") || lower.contains("name mismatch") { return "certificate name mismatch: \(text)" }
        if lower.contains("certificate_verify_failed") || lower.contains("certificate verify failed")
            || lower.contains("unable to get")
        {
            return "certificate signed by unknown authority (or expired): \(text)"
        }
        return "TLS handshake failed: \(text)"
    }
}
