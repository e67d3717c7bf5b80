import Foundation
import Kubernetes
import ObjectStorage
import ObjectStorageTesting
import Testing
import VeleroAPI

/// BSL → object store: the default location, the filesystem provider, S3 with a credentials Secret, and the
/// errors a user sees.
struct StorageLocationResolverTests {
    static func location(
        _ name: String,
        provider: String,
        bucket: String,
        prefix: String? = nil,
        config: [String: String]? = nil,
        credential: SecretKeySelector? = nil,
        isDefault: Bool? = nil
    ) throws -> KubeObject {
        var spec = BackupStorageLocation.Spec(
            provider: provider,
            objectStorage: .init(bucket: bucket, prefix: prefix)
        )
        spec.config = config
        spec.credential = credential
        spec.default = isDefault
        return try BackupStorageLocation(metadata: ObjectMeta(name: name, namespace: "velero"), spec: spec)
            .kubeObject()
    }

    @Test func filesystemLocationWritesUnderItsPrefix() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bsl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try await TestCluster.with { client in
            let resolver = StorageLocationResolver(
                client: client,
                namespace: "velero",
                factory: ObjectStoreFactory(environment: [:]),
                logger: TestCluster.logger
            )
            _ = try await client.create(
                BackupStorageLocation.resource,
                try Self.location("other", provider: "filesystem", bucket: "/nonexistent")
            )
            _ = try await client.create(
                BackupStorageLocation.resource,
                try Self.location(
                    "main",
                    provider: "filesystem",
                    bucket: folder.path,
                    prefix: "cluster-a",
                    isDefault: true
                )
            )

            let location = try await resolver.get(nil)
            #expect(location.name == "main")
            let store = try await resolver.store(for: location)
            try await store.putData("backups/b1/velero-backup.json", bytes: Array("{}".utf8))
            let file = folder.appendingPathComponent("cluster-a/backups/b1/velero-backup.json")
            #expect(FileManager.default.fileExists(atPath: file.path))

            let bucket = try await resolver.bucketStore(for: location)
            #expect(try await bucket.exists("cluster-a/backups/b1/velero-backup.json"))
            #expect(try await resolver.list().map(\.name).sorted() == ["main", "other"])
        }
    }

    @Test func s3LocationReadsItsCredentialSecret() async throws {
        let moto = try await MotoServer.shared()
        let bucketName = "bsl-\(UUID().uuidString.prefix(8).lowercased())"
        let seeded = try await moto.makeStore(bucket: bucketName, logger: TestCluster.logger)
        try await seeded.putData("velero/backups/old/velero-backup.json", bytes: Array("{}".utf8))
        try await TestCluster.with { client in
            let credentials = """
                [default]
                aws_access_key_id=\(MotoServer.accessKeyID)
                aws_secret_access_key=\(MotoServer.secretAccessKey)
                """
            var secret = KubeObject(apiVersion: "v1", kind: "Secret", namespace: "velero", name: "cloud-credentials")
            secret["data"] = ["cloud": .string(Data(credentials.utf8).base64EncodedString())]
            _ = try await client.create(.secrets, secret)
            _ = try await client.create(
                BackupStorageLocation.resource,
                try Self.location(
                    "default",
                    provider: "aws",
                    bucket: bucketName,
                    prefix: "velero",
                    config: ["region": "us-east-1", "s3Url": moto.endpoint, "s3ForcePathStyle": "true"],
                    credential: SecretKeySelector(name: "cloud-credentials", key: "cloud")
                )
            )

            let resolver = StorageLocationResolver(
                client: client,
                namespace: "velero",
                factory: ObjectStoreFactory(environment: [:]),
                logger: TestCluster.logger
            )
            let location = try await resolver.get("default")
            let objectLocation = try await resolver.objectStoreLocation(for: location)
            #expect(objectLocation.credential == credentials)
            #expect(objectLocation.trimmedPrefix == "velero")
            let store = try await resolver.store(for: location)
            #expect(try await store.exists("backups/old/velero-backup.json"))
            try await store.putData("backups/new/velero-backup.json", bytes: Array("{}".utf8))
            #expect(try await seeded.exists("velero/backups/new/velero-backup.json"))
        }
    }

    @Test func missingLocationsAndSecretsAreNotFound() async throws {
        try await TestCluster.with { client in
            let resolver = StorageLocationResolver(
                client: client,
                namespace: "velero",
                factory: ObjectStoreFactory(environment: [:]),
                logger: TestCluster.logger
            )
            await #expect(throws: VeleroAPIError.self) { try await resolver.get(nil) }
            do {
                _ = try await resolver.get("absent")
                Issue.record("expected notFound")
            } catch let error as VeleroAPIError {
                #expect(error.code == .notFound)
                #expect(error.message == #"backup storage location "absent" not found in namespace velero"#)
            }
            _ = try await client.create(
                BackupStorageLocation.resource,
                try Self.location(
                    "s3",
                    provider: "aws",
                    bucket: "b",
                    credential: SecretKeySelector(name: "missing", key: "cloud")
                )
            )
            let location = try await resolver.get("s3")
            do {
                _ = try await resolver.bucketStore(for: location)
                Issue.record("expected notFound")
            } catch let error as VeleroAPIError {
                #expect(error.code == .notFound)
                #expect(error.message == "credential of backup storage location s3: secret velero/missing not found")
            }
        }
    }
}

/// The repository identifiers Velero writes into PodVolumeBackups and BackupRepositories, per provider.
struct RepoIdentifierTests {
    static func identifier(_ provider: String, prefix: String?, config: [String: String]? = nil) -> String {
        var spec = BackupStorageLocation.Spec(provider: provider, objectStorage: .init(bucket: "bkt", prefix: prefix))
        spec.config = config
        let location = BackupStorageLocation(metadata: ObjectMeta(name: "l", namespace: "velero"), spec: spec)
        return PodVolumeRepositories.repoIdentifier(location: location, volumeNamespace: "app")
    }

    @Test func eachProviderAsVeleroWritesIt() {
        #expect(Self.identifier("gcp", prefix: "cluster-a") == "gs:bkt:/cluster-a/restic/app")
        #expect(Self.identifier("velero.io/gcp", prefix: nil) == "gs:bkt:/restic/app")
        #expect(Self.identifier("azure", prefix: "p/") == "azure:bkt:/p/restic/app")
        #expect(
            Self.identifier("aws", prefix: "p", config: ["s3Url": "http://minio:9000/"])
                == "s3:http://minio:9000/bkt/p/restic/app"
        )
        #expect(
            Self.identifier("aws", prefix: nil, config: ["region": "eu-west-1"])
                == "s3:s3-eu-west-1.amazonaws.com/bkt/restic/app"
        )
        #expect(Self.identifier("gcp", prefix: "p", config: ["resticRepoPrefix": "gs:other:/x"]) == "gs:other:/x/app")
    }
}
