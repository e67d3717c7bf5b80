import Crypto
import Foundation
import _CryptoExtras

/// A key file (`keys/<id>`): scrypt parameters, salt and the master key encrypted with the derived key.
package struct KeyFile: Sendable {
    var created: GoTime
    var username: String
    var hostname: String
    package var n: Int
    package var r: Int
    package var p: Int
    var salt: [UInt8]
    var data: [UInt8]

    /// scrypt parameters for new keys (what restic 0.14 calibrated to on this kind of machine).
    package struct Parameters: Sendable {
        var n = 32768
        var r = 8
        var p = 3

        package init() {}

        /// Custom costs (tests and fuzzing use cheap ones).
        package init(n: Int, r: Int, p: Int) {
            (self.n, self.r, self.p) = (n, r, p)
        }
    }

    /// Derives the user key from a password with scrypt.
    static func deriveUserKey(password: String, salt: [UInt8], n: Int, r: Int, p: Int) throws -> CryptoKey {
        guard salt.count == 64 else {
            throw RepositoryError(code: .corrupt, message: "key file: salt has \(salt.count) bytes, expected 64")
        }
        guard n > 1, n & (n - 1) == 0, r > 0, p > 0, n <= 1 << 24, r < 1 << 20, p < 1 << 20, r * p < 1 << 20 else {
            throw RepositoryError(code: .corrupt, message: "key file: invalid scrypt parameters N=\(n) r=\(r) p=\(p)")
        }
        let derived = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8),
            salt: salt,
            outputByteCount: 64,
            rounds: n,
            blockSize: r,
            parallelism: p,
            maxMemory: 128 * r * n * 2 + 1 << 20
        )
        return CryptoKey(derived: derived.withUnsafeBytes { Array($0) })
    }

    /// Creates a key file for `master`, protected by `password`.
    package static func create(master: CryptoKey, password: String, parameters: Parameters = .init()) throws -> KeyFile
    {
        let salt = randomBytes(64)
        let userKey = try deriveUserKey(
            password: password,
            salt: salt,
            n: parameters.n,
            r: parameters.r,
            p: parameters.p
        )
        var json = GoJSON()
        json.beginObject()
        json.key("mac")
        json.beginObject()
        json.field("k", Data(master.macKBytes).base64EncodedString())
        json.field("r", Data(master.macR).base64EncodedString())
        json.endObject()
        json.field("encrypt", Data(master.encryptionBytes).base64EncodedString())
        json.endObject()
        return KeyFile(
            created: .now(),
            username: SystemInfo.userName,
            hostname: SystemInfo.hostName,
            n: parameters.n,
            r: parameters.r,
            p: parameters.p,
            salt: salt,
            data: try userKey.seal(json.bytes)
        )
    }

    /// Decrypts the master key with `password`.
    /// - Throws: `RepositoryError.wrongPassword` when the MAC does not verify.
    package func open(password: String) throws -> CryptoKey {
        let userKey = try Self.deriveUserKey(password: password, salt: salt, n: n, r: r, p: p)
        let plain: [UInt8]
        do {
            plain = try userKey.open(data)
        } catch {
            throw RepositoryError(code: .wrongPassword, message: "wrong password")
        }
        struct MasterJSON: Decodable {
            struct MAC: Decodable {
                var k: String
                var r: String
            }
            var mac: MAC
            var encrypt: String
        }
        guard let m = try? JSONDecoder().decode(MasterJSON.self, from: Data(plain)),
            let k = Data(base64Encoded: m.mac.k), let r = Data(base64Encoded: m.mac.r),
            let e = Data(base64Encoded: m.encrypt), k.count == 16, r.count == 16, e.count == 32
        else {
            throw RepositoryError(code: .corrupt, message: "key file: master key JSON is invalid")
        }
        return CryptoKey(encryption: [UInt8](e), macK: [UInt8](k), macR: [UInt8](r))
    }

    package func encoded() -> [UInt8] {
        var json = GoJSON()
        json.beginObject()
        json.field("created", created.description)
        json.field("username", username)
        json.field("hostname", hostname)
        json.field("kdf", "scrypt")
        json.field("N", UInt64(n))
        json.field("r", UInt64(r))
        json.field("p", UInt64(p))
        json.field("salt", Data(salt).base64EncodedString())
        json.field("data", Data(data).base64EncodedString())
        json.endObject()
        return json.bytes
    }

    private struct JSONForm: Decodable {
        var created: String?
        var username: String?
        var hostname: String?
        var kdf: String
        var N: Int
        var r: Int
        var p: Int
        var salt: String
        var data: String
    }

    init(created: GoTime, username: String, hostname: String, n: Int, r: Int, p: Int, salt: [UInt8], data: [UInt8]) {
        (self.created, self.username, self.hostname) = (created, username, hostname)
        (self.n, self.r, self.p, self.salt, self.data) = (n, r, p, salt, data)
    }

    package init(decoding bytes: [UInt8], name: String) throws {
        guard let form = try? JSONDecoder().decode(JSONForm.self, from: Data(bytes)) else {
            throw RepositoryError(code: .corrupt, message: "key file \(name): invalid JSON")
        }
        guard form.kdf == "scrypt" else {
            throw RepositoryError(code: .unsupported, message: "key file \(name): unsupported KDF \"\(form.kdf)\"")
        }
        guard let salt = Data(base64Encoded: form.salt), let data = Data(base64Encoded: form.data) else {
            throw RepositoryError(code: .corrupt, message: "key file \(name): invalid base64 in salt or data")
        }
        self.init(
            created: form.created.flatMap(GoTime.init(rfc3339:)) ?? .now(),
            username: form.username ?? "",
            hostname: form.hostname ?? "",
            n: form.N,
            r: form.r,
            p: form.p,
            salt: [UInt8](salt),
            data: [UInt8](data)
        )
    }
}
