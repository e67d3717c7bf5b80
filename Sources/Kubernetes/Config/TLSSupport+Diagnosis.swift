import Foundation
import NIOCore
import NIOPosix
import NIOSSL

extension TLSSupport {
    /// Explains a certificate verification failure by fetching the server's certificate without verifying it:
    /// "certificate has expired" / "is not yet valid" when its dates are off, otherwise
    /// "certificate signed by unknown authority". Returns nil when the certificate cannot be fetched.
    static func diagnoseVerificationFailure(host: String, port: Int, serverName: String?) async -> String? {
        var tls = TLSConfiguration.makeClientConfiguration()
        // the custom callback below replaces verification; it only records what the server presents
        tls.certificateVerification = .noHostnameVerification
        guard let context = try? NIOSSLContext(configuration: tls) else { return nil }
        let sni = serverName ?? (host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host)
        let captured = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: NIOSSLCertificate?.self)
        let certificate: NIOSSLCertificate?
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: sni) {
                            (certificates: [NIOSSLCertificate], verdict: EventLoopPromise<NIOSSLVerificationResult>) in
                            captured.succeed(certificates.first)
                            verdict.succeed(NIOSSLVerificationResult.failed)
                        }
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: host, port: port).get()
            channel.closeFuture.whenComplete { _ in captured.succeed(nil) }
            certificate = try await captured.futureResult.get()
            try? await channel.close()
        } catch {
            captured.succeed(nil)
            return nil
        }
        do {
            guard let certificate else { return nil }
            let now = time(nil)
            if certificate.notValidAfter < now {
                let date = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
                return "certificate has expired (not valid after \(date))"
            }
            if certificate.notValidBefore > now {
                let date = Date(timeIntervalSince1970: TimeInterval(certificate.notValidBefore))
                return "certificate is not yet valid (not valid before \(date))"
            }
            return "certificate signed by unknown authority"
        }
    }
}
