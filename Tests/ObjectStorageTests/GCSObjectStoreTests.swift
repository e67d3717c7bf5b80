import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import ObjectStorageTesting
import Synchronization
import Testing
import _CryptoExtras

@testable import ObjectStorage

/// GCS against a real `gcp-storage-emulator` on 127.0.0.1 (one per test, stopped when it ends), and against a
/// tiny fake token/JSON-API server for what the emulator does not check.
struct GCSObjectStoreTests {
    static let logger = Logger(label: "gcs-test")

    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func conformance(_ check: ObjectStoreConformance.Check) async throws {
        try await GCSEmulator.withEmulator { emulator in
            // 256 KiB chunks: the 3 MiB objects of the suite go as resumable uploads of 13 chunks.
            let store = try emulator.makeStore(chunkSize: 256 * 1024, logger: Self.logger)
            try await ObjectStoreConformance(store: store).run(check)
        }
    }

    @Test func resumableUploadOfUnknownLengthAndRangedReads() async throws {
        try await GCSEmulator.withEmulator { emulator in
            let store = try emulator.makeStore(chunkSize: 256 * 1024, logger: Self.logger)
            let bytes = ObjectStoreConformance.pattern(1_000_000, seed: 5)
            try await store.put("big/one", body: ObjectStoreConformance.chunked(bytes, chunk: 70_001), length: nil)
            #expect(try await store.head("big/one")?.size == bytes.count)
            for range in [0..<1, 262_143..<262_145, 999_990..<1_000_000, 999_999..<2_000_000, 1_000_000..<1_000_001] {
                let back = try await store.get("big/one", range: range).collect(upTo: 1 << 20)
                let expected = Array(bytes[min(range.lowerBound, bytes.count)..<min(range.upperBound, bytes.count)])
                #expect(Array(back.readableBytesView) == expected, "range \(range)")
            }
        }
    }

    @Test func putIfAbsentTwice() async throws {
        try await GCSEmulator.withEmulator { emulator in
            let store = try emulator.makeStore(logger: Self.logger)
            #expect(try await store.putIfAbsent("lock", bytes: [1]) == true)
            #expect(try await store.putIfAbsent("lock", bytes: [2]) == false)
            #expect(try await store.getData("lock") == ByteBuffer(bytes: [1]))
            // The conditional upload itself (ifGenerationMatch=0 → 412 → false) is not checked here:
            // gcp-storage-emulator 2026.7.19 ignores ifGenerationMatch and overwrites. `conditionalUpload…` below
            // checks it against the fake server.
        }
    }

    @Test func listingWithDelimiterAndSmallPages() async throws {
        try await GCSEmulator.withEmulator { emulator in
            let store = try emulator.makeStore(listPageSize: 2, logger: Self.logger)
            for key in ["b/1", "b/2", "b/c/3", "b/c/4", "b/d/5", "b0", "a"] { try await store.putData(key, bytes: [7]) }
            var names: [String] = []
            for try await entry in store.list(prefix: "b/", delimiter: "/") {
                names.append(ListingPager.name(of: entry))
            }
            #expect(names == ["b/1", "b/2", "b/c/", "b/d/"])
            var all: [String] = []
            for try await entry in store.list(prefix: "", delimiter: nil) { all.append(ListingPager.name(of: entry)) }
            #expect(all == ["a", "b/1", "b/2", "b/c/3", "b/c/4", "b/d/5", "b0"])
        }
    }

    @Test func keysAreOnePercentEncodedPathSegment() async throws {
        let store = try GCSObjectStore(
            configuration: GCSConfiguration(bucket: "bk", endpoint: "http://127.0.0.1:1"),
            credentials: .anonymous,
            logger: Self.logger
        )
        #expect(store.objectURL("a/b c/é+?#") == "http://127.0.0.1:1/storage/v1/b/bk/o/a%2Fb%20c%2F%C3%A9%2B%3F%23")
        try await GCSEmulator.withEmulator { emulator in
            let store = try emulator.makeStore(logger: Self.logger)
            for key in ["with space/x y", "unicode/日本-é-🚀", "deep/a/b/c/d", "plus+and%2F"] {
                try await store.putData(key, bytes: Array(key.utf8))
                #expect(try await store.getData(key) == ByteBuffer(bytes: Array(key.utf8)), "\(key)")
            }
        }
    }

    @Test func missingObjectErrorNamesTheKey() async throws {
        try await GCSEmulator.withEmulator { emulator in
            let store = try emulator.makeStore(logger: Self.logger)
            let error = await #expect(throws: ObjectStoreError.self) { _ = try await store.get("backups/nope.json") }
            #expect(error?.code == .notFound)
            #expect(error?.message.contains("\"backups/nope.json\"") == true, "\(String(describing: error))")
            #expect(try await store.head("backups/nope.json") == nil)
        }
    }

    @Test func factoryMakesAGCSStoreForVeleroGCPWithTheEmulatorHost() async throws {
        try await GCSEmulator.withEmulator { emulator in
            let factory = ObjectStoreFactory(environment: ["STORAGE_EMULATOR_HOST": "127.0.0.1:\(emulator.port)"])
            let location = ObjectStoreLocation(provider: "velero.io/gcp", bucket: emulator.bucket, prefix: "p")
            let store = try factory.makeStore(for: location, logger: Self.logger)
            try await store.putData("x", bytes: [1, 2])
            let bucket = try factory.makeBucketStore(for: location, logger: Self.logger)
            #expect(bucket is GCSObjectStore)
            #expect(try await bucket.head("p/x")?.size == 2)
        }
        let factory = ObjectStoreFactory(environment: [:])
        let error = #expect(throws: ObjectStoreError.self) {
            _ = try factory.makeBucketStore(
                for: ObjectStoreLocation(provider: "azure", bucket: "b"),
                logger: Self.logger
            )
        }
        #expect(error?.message.contains("aws, gcp, filesystem, memory") == true)
    }

    // MARK: - Credentials

    static func keyJSON(
        _ key: _RSA.Signing.PrivateKey,
        tokenURI: String = "https://oauth2.googleapis.com/token"
    )
        -> [String: String]
    {
        [
            "type": "service_account", "project_id": "p", "private_key_id": "k1",
            "private_key": key.pemRepresentation, "client_email": "velero@p.iam.gserviceaccount.com",
            "token_uri": tokenURI,
        ]
    }

    static func write(_ object: [String: String], to folder: String, name: String = "key.json") throws -> String {
        let path = folder + "/" + name
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func jwtIsSignedWithTheServiceAccountKey() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try await withTemporaryFolder { folder in
            let path = try Self.write(Self.keyJSON(key), to: folder)
            let account = try GCSCredentials.readKeyFile(path)
            let jwt = try account.assertion(now: Date(timeIntervalSince1970: 1_700_000_000))
            #expect(GCSTestServer.verify(jwt, with: key.publicKey))
            let parts = jwt.split(separator: ".")
            let header = try #require(GCSTestServer.base64URLDecode(parts[0]))
            let claims = try #require(GCSTestServer.base64URLDecode(parts[1]))
            #expect(
                try JSONSerialization.jsonObject(with: header) as? [String: String] == ["alg": "RS256", "typ": "JWT"]
            )
            let object = try #require(try JSONSerialization.jsonObject(with: claims) as? [String: Any])
            #expect(object["iss"] as? String == "velero@p.iam.gserviceaccount.com")
            #expect(object["aud"] as? String == "https://oauth2.googleapis.com/token")
            #expect(object["scope"] as? String == "https://www.googleapis.com/auth/devstorage.read_write")
            #expect(object["iat"] as? Int == 1_700_000_000)
            #expect(object["exp"] as? Int == 1_700_003_600)
            let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            #expect(!GCSTestServer.verify(jwt, with: other.publicKey))
        }
    }

    @Test func malformedCredentialsFilesAreNamed() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try await withTemporaryFolder { folder in
            func failure(_ object: [String: String]?, raw: String? = nil) throws -> String {
                let path = folder + "/bad.json"
                if let object { _ = try Self.write(object, to: folder, name: "bad.json") }
                if let raw { try Data(raw.utf8).write(to: URL(fileURLWithPath: path)) }
                do {
                    _ = try GCSCredentials.resolve(credential: nil, credentialsFile: path, environment: [:])
                    return "no error"
                } catch let error as ObjectStoreError {
                    #expect(error.code == .invalidConfiguration)
                    return error.message
                }
            }
            var good = Self.keyJSON(key)
            good["private_key"] = nil
            let message1 = try failure(good)
            #expect(message1 == "credentials file \(folder)/bad.json: field \"private_key\" is missing", "\(message1)")
            good = Self.keyJSON(key)
            good["private_key"] = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"
            let message2 = try failure(good)
            #expect(message2.contains("field \"private_key\" is not a PEM RSA private key"), "\(message2)")
            good = Self.keyJSON(key)
            good["client_email"] = nil
            let message3 = try failure(good)
            #expect(message3.hasSuffix("field \"client_email\" is missing"), "\(message3)")
            good = Self.keyJSON(key)
            good["type"] = "authorized_user"
            let message4 = try failure(good)
            #expect(message4.contains("only \"service_account\" keys are supported"), "\(message4)")
            let message5 = try failure(nil, raw: "{not json")
            #expect(message5.contains("bad.json: not a JSON service-account key"), "\(message5)")
            let missing = #expect(throws: ObjectStoreError.self) {
                _ = try GCSCredentials.resolve(
                    credential: nil,
                    credentialsFile: nil,
                    environment: ["GOOGLE_APPLICATION_CREDENTIALS": folder + "/absent.json"]
                )
            }
            #expect(missing?.message == "credentials file \(folder)/absent.json cannot be read")
            #expect(throws: ObjectStoreError.self) {
                _ = try GCSCredentials.resolve(credential: nil, credentialsFile: nil, environment: [:])
            }
        }
    }

    @Test func tokenExchangeAuthorizesRequestsAndListingFollowsPages() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let server = GCSTestServer(publicKey: key.publicKey)
        try await server.run { port in
            let json = try String(
                decoding: JSONSerialization.data(
                    withJSONObject: Self.keyJSON(key, tokenURI: "http://127.0.0.1:\(port)/token")
                ),
                as: UTF8.self
            )
            let credentials = try GCSCredentials.resolve(credential: json, credentialsFile: nil, environment: [:])
            let store = try GCSObjectStore(
                configuration: GCSConfiguration(bucket: "bk", endpoint: "http://127.0.0.1:\(port)", listPageSize: 1),
                credentials: credentials,
                logger: Self.logger
            )
            var names: [String] = []
            for try await entry in store.list(prefix: "a/", delimiter: "/") {
                names.append(ListingPager.name(of: entry))
            }
            #expect(names == ["a/1", "a/d/", "a/z"])
            // The conditional upload: ifGenerationMatch=0 answered with 412 is "already there".
            #expect(try await store.upload("k", body: ObjectBody(bytes: [1, 2, 3]), ifAbsent: true) == false)
            #expect(try await store.upload("k", body: ObjectBody(bytes: [1, 2, 3]), ifAbsent: false) == true)
        }
        let seen = server.seen.withLock { $0 }
        #expect(seen.tokenRequests == 1, "the token is cached")
        #expect(seen.authorizations == Array(repeating: "Bearer t", count: 5))
        #expect(seen.queries[0...2].map { $0.contains("maxResults=1") } == [true, true, true])
        #expect(seen.queries[1].contains("pageToken=p2") && seen.queries[2].contains("pageToken=p3"))
        #expect(seen.queries[3].contains("ifGenerationMatch=0") && seen.queries[3].contains("name=k"))
        #expect(!seen.queries[4].contains("ifGenerationMatch"))
    }

    @Test func signedDownloadURLIsV4WithTheServiceAccountKey() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let account = GCSServiceAccountKey(clientEmail: "velero@p.iam.gserviceaccount.com", privateKey: key)
        let store = try GCSObjectStore(
            configuration: GCSConfiguration(bucket: "bk"),
            credentials: .serviceAccount(account),
            logger: Self.logger,
            now: { Date(timeIntervalSince1970: 1_700_000_000) }
        )
        let url = try await store.downloadURL("backups/b 1/b.tar.gz", validFor: .seconds(600))
        let prefix = "https://storage.googleapis.com/bk/backups/b%201/b.tar.gz?X-Goog-Algorithm=GOOG4-RSA-SHA256"
        #expect(url.hasPrefix(prefix), "\(url)")
        #expect(
            url.contains(
                "&X-Goog-Credential=velero%40p.iam.gserviceaccount.com%2F20231114%2Fauto%2Fstorage%2Fgoog4_request"
            )
        )
        #expect(
            url.contains("&X-Goog-Date=20231114T221320Z&X-Goog-Expires=600&X-Goog-SignedHeaders=host&X-Goog-Signature=")
        )
        // The signature verifies over the string to sign rebuilt from the URL.
        let (base, signatureHex) = try #require(url.split(separator: "&X-Goog-Signature=").map(String.init).pairs)
        let query = String(base.split(separator: "?")[1])
        let canonical =
            "GET\n/bk/backups/b%201/b.tar.gz\n\(query)\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD"
        let toSign =
            "GOOG4-RSA-SHA256\n20231114T221320Z\n20231114/auto/storage/goog4_request\n"
            + Hex.encode(SHA256.hash(data: Data(canonical.utf8)))
        let signature = try #require(Self.hexDecode(signatureHex))
        #expect(
            key.publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: Data(toSign.utf8)),
                padding: .insecurePKCS1v1_5
            )
        )
        let anonymous = try GCSObjectStore(
            configuration: GCSConfiguration(bucket: "bk"),
            credentials: .anonymous,
            logger: Self.logger
        )
        let error = await #expect(throws: ObjectStoreError.self) {
            _ = try await anonymous.downloadURL("k", validFor: .seconds(60))
        }
        #expect(error?.message.contains("need a service-account key") == true)
    }

    static func hexDecode(_ text: String) -> Data? {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return Data(bytes)
    }
}

extension Array where Element == String {
    /// The two elements of a two-element array.
    fileprivate var pairs: (String, String)? { count == 2 ? (self[0], self[1]) : nil }
}
