import Foundation
import Logging
import ObjectStorage
import Testing

struct AWSCredentialsTests {
    static let file = """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = secretdefault

        [profile backup]
        aws_access_key_id=AKIDBACKUP
        aws_secret_access_key=secret/backup+x=
        aws_session_token = tok
        ; another comment
        [broken]
        aws_access_key_id = ONLYID
        """

    @Test func readsTheDefaultAndNamedProfiles() throws {
        let defaults = try AWSCredentials.parseSharedCredentials(Self.file)
        #expect(defaults == AWSCredentials(accessKeyID: "AKIDDEFAULT", secretAccessKey: "secretdefault"))
        let backup = try AWSCredentials.parseSharedCredentials(Self.file, profile: "backup")
        #expect(
            backup
                == AWSCredentials(accessKeyID: "AKIDBACKUP", secretAccessKey: "secret/backup+x=", sessionToken: "tok")
        )
    }

    @Test func missingProfileIsNamed() {
        do {
            _ = try AWSCredentials.parseSharedCredentials(
                Self.file,
                profile: "nope",
                source: "secret cloud-credentials"
            )
            Issue.record("accepted")
        } catch let error as ObjectStoreError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("\"nope\""))
            #expect(error.message.contains("secret cloud-credentials"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func incompleteProfileIsNamed() {
        #expect(throws: ObjectStoreError.self) {
            try AWSCredentials.parseSharedCredentials(Self.file, profile: "broken")
        }
    }

    @Test func resolutionOrder() throws {
        let env = ["AWS_ACCESS_KEY_ID": "ENVID", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "envtok"]
        // The BSL credential wins over the environment.
        #expect(
            try AWSCredentials.resolve(credentialFile: Self.file, profile: nil, environment: env).accessKeyID
                == "AKIDDEFAULT"
        )
        #expect(
            try AWSCredentials.resolve(credentialFile: nil, profile: nil, environment: env)
                == AWSCredentials(accessKeyID: "ENVID", secretAccessKey: "envsecret", sessionToken: "envtok")
        )
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try Data(Self.file.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let fromFile = try AWSCredentials.resolve(
            credentialFile: nil,
            profile: "backup",
            environment: ["AWS_SHARED_CREDENTIALS_FILE": path.path]
        )
        #expect(fromFile.accessKeyID == "AKIDBACKUP")
        #expect(throws: ObjectStoreError.self) {
            try AWSCredentials.resolve(
                credentialFile: nil,
                profile: nil,
                environment: ["AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/x"]
            )
        }
    }

    /// A missing credentials file is one line naming the file and the ways to give credentials, with no
    /// Foundation error dump.
    @Test func missingCredentialsFileSaysHowToGiveCredentials() {
        let cases: [[String: String]] = [
            ["HOME": "/nonexistent-home"],
            ["AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/x", "HOME": "/nonexistent-home"],
        ]
        for environment in cases {
            do {
                _ = try AWSCredentials.resolve(credentialFile: nil, profile: nil, environment: environment)
                Issue.record("accepted \(environment)")
            } catch let error as ObjectStoreError {
                let text = "\(error)"
                #expect(error.code == .invalidConfiguration)
                #expect(!text.contains("\n"), "\(text)")
                #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("UserInfo"), "\(text)")
                let file = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "/nonexistent-home/.aws/credentials"
                #expect(text.contains(file), "\(text)")
                for hint in [
                    "--credential", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SHARED_CREDENTIALS_FILE",
                ] {
                    #expect(text.contains(hint), "\(text) does not mention \(hint)")
                }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func secretIsNotPrinted() {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "topsecret")
        #expect(!"\(credentials)".contains("topsecret"))
    }
}

struct S3ConfigurationTests {
    @Test func veleroAWSPluginKeys() throws {
        let config = try S3Configuration(
            bucket: "velero",
            bslConfig: [
                "region": "minio", "s3Url": "http://minio.velero.svc:9000/", "s3ForcePathStyle": "true",
                "insecureSkipTLSVerify": "true", "profile": "backup", "serverSideEncryption": "AES256",
                "kmsKeyId": "alias/k", "checksumAlgorithm": "",
            ]
        )
        #expect(config.region == "minio")
        #expect(config.endpoint == "http://minio.velero.svc:9000")
        #expect(config.forcePathStyle)
        #expect(config.insecureSkipTLSVerify)
        #expect(config.profile == "backup")
        #expect(config.serverSideEncryption == "AES256")
        #expect(config.kmsKeyID == "alias/k")
        #expect(config.checksumAlgorithm == nil)
    }

    @Test func defaults() throws {
        let config = try S3Configuration(bucket: "b", bslConfig: ["region": "eu-west-1"])
        #expect(config.endpoint == "https://s3.eu-west-1.amazonaws.com")
        #expect(!config.forcePathStyle)
        #expect(config.checksumAlgorithm == .crc32)
        #expect(
            try S3Configuration(bucket: "b", bslConfig: ["checksumAlgorithm": "sha256"]).checksumAlgorithm == .sha256
        )
    }

    @Test(arguments: [
        ["s3ForcePathStyle": "maybe"], ["s3Url": "ftp://x"], ["s3Url": "http://"], ["checksumAlgorithm": "MD5"],
        ["insecureSkipTLSVerify": "2"], ["caCert": "not a certificate"],
    ])
    func badValuesAreNamed(_ config: [String: String]) {
        do {
            _ = try S3Configuration(bucket: "b", bslConfig: config)
            Issue.record("accepted \(config)")
        } catch let error as ObjectStoreError {
            #expect(error.code == .invalidConfiguration)
            let key = config.keys.first ?? ""
            #expect(error.message.contains(key) || key == "caCert" || key == "s3Url", "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func badBucketNames() {
        #expect(throws: ObjectStoreError.self) { try S3Configuration(bucket: "", bslConfig: [:]) }
        #expect(throws: ObjectStoreError.self) { try S3Configuration(bucket: "a/b", bslConfig: [:]) }
    }

    @Test func factoryBuildsEachProvider() async throws {
        let factory = ObjectStoreFactory(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])
        let logger = Logger(label: "test")
        let memory = try factory.makeStore(
            for: ObjectStoreLocation(provider: "memory", bucket: "m", prefix: "/velero/"),
            logger: logger
        )
        try await memory.putData("backups/x", bytes: [1])
        let whole = try factory.makeBucketStore(
            for: ObjectStoreLocation(provider: "memory", bucket: "m"),
            logger: logger
        )
        #expect(try await whole.listAll(prefix: "").map(\.key) == ["velero/backups/x"])
        let repo = try factory.makeStore(
            for: ObjectStoreLocation(provider: "memory", bucket: "m", prefix: "velero"),
            subpath: "restic/ns1",
            logger: logger
        )
        try await repo.putData("config", bytes: [2])
        #expect(try await whole.exists("velero/restic/ns1/config"))
        _ = try factory.makeStore(
            for: ObjectStoreLocation(provider: "velero.io/aws", bucket: "b", config: ["region": "us-west-2"]),
            logger: logger
        )
        #expect(throws: ObjectStoreError.self) {
            try factory.makeStore(for: ObjectStoreLocation(provider: "gcp", bucket: "b"), logger: logger)
        }
        #expect(throws: ObjectStoreError.self) {
            try factory.makeStore(for: ObjectStoreLocation(provider: "filesystem", bucket: "relative"), logger: logger)
        }
    }
}
