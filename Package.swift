// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "lifeboat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lifeboat", targets: ["LifeboatCLI"]),
        .executable(name: "lifeboat-bench", targets: ["LifeboatBench"]),
        .executable(name: "lifeboat-fuzz", targets: ["LifeboatFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", "5.0.0"..<"7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        // MARK: LifeboatErrors — the error shape every module shares
        .target(name: "LifeboatErrors", swiftSettings: swiftSettings),
        // MARK: Kubernetes — generic API client, nothing backup-specific
        .target(
            name: "Kubernetes",
            dependencies: [
                .product(name: "OrderedCollections", package: "swift-collections"),
                "LifeboatErrors",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test doubles for code built on Kubernetes (a manual clock); used only by test targets.
        .target(
            name: "KubernetesTesting",
            dependencies: [],
            swiftSettings: swiftSettings
        ),
        // MARK: KubeSandbox — embedded Kubernetes-API-compatible server
        .target(
            name: "KubeSandbox",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                "Kubernetes",
                "LifeboatErrors",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: ObjectStorage — put/get/head/list/delete over filesystem, memory, S3, GCS
        .target(
            name: "ObjectStorage",
            dependencies: [
                "LifeboatErrors",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: LocalServers — moto_server and gcp-storage-emulator on loopback, for the benchmark and the tests
        .target(
            name: "LocalServers",
            dependencies: [
                "ObjectStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: test kits — used by test targets only
        .target(
            name: "ObjectStorageTesting",
            dependencies: [
                "ObjectStorage",
                "LocalServers",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ProcessTesting",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeSandboxTesting",
            dependencies: [
                "VeleroAPI",
                "KubeSandbox",
                "Kubernetes",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: VolumeRepository — restic-format v2 repository
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(
            name: "VolumeRepository",
            dependencies: [
                "LifeboatErrors",
                "ObjectStorage",
                "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: VeleroAPI — the velero.io kinds, CRDs, labels, BSL → object store resolution
        .target(
            name: "VeleroAPI",
            dependencies: [
                "LifeboatErrors",
                "Kubernetes",
                "ObjectStorage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: BackupEngine — the object-store/tarball layout, backup and restore
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "BackupEngine",
            dependencies: [
                "LifeboatErrors",
                "Kubernetes",
                "ObjectStorage",
                "VeleroAPI",
                "VolumeRepository",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: NodeAgent — node-agent config, load scheduling, state machines, exposers
        .target(
            name: "NodeAgent",
            dependencies: [
                "LifeboatErrors",
                "Kubernetes",
                "VeleroAPI",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: Controllers — the server's controllers (Backup, Schedule, …) on the controller runtime
        .target(
            name: "Controllers",
            dependencies: [
                "Kubernetes",
                "VeleroAPI",
                "BackupEngine",
                "ObjectStorage",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: the one executable
        // glibc's <malloc.h> (mallopt), for the CLI's allocator settings.
        .systemLibrary(name: "CMalloc"),
        .executableTarget(
            name: "LifeboatCLI",
            dependencies: [
                "Kubernetes",
                "KubeSandbox",
                "ObjectStorage",
                "VolumeRepository",
                "NodeAgent",
                "BackupEngine",
                "Controllers",
                "VeleroAPI",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LifeboatBench",
            dependencies: [
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "Kubernetes",
                "KubeSandbox",
                "ObjectStorage",
                "LocalServers",
                "VolumeRepository",
                "NodeAgent",
                "BackupEngine",
                "VeleroAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: fuzzing — the parsers of untrusted input under a deterministic mutation fuzzer (`make fuzz`)
        .target(
            name: "LifeboatFuzzing",
            dependencies: [
                "LifeboatErrors",
                "Kubernetes",
                "ObjectStorage",
                "VolumeRepository",
                "VeleroAPI",
                "BackupEngine",
                "NodeAgent",
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LifeboatFuzz",
            dependencies: [
                "LifeboatFuzzing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: tests — each lists exactly the modules its files import
        .testTarget(
            name: "LifeboatErrorsTests",
            dependencies: ["LifeboatErrors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubernetesTests",
            dependencies: [
                "Kubernetes", "KubernetesTesting", "KubeSandbox", "KubeSandboxTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeSandboxTests",
            dependencies: ["KubeSandbox", "Kubernetes", "KubeSandboxTesting", "ProcessTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ObjectStorageTests",
            dependencies: [
                "ObjectStorage", "ObjectStorageTesting", "ProcessTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VolumeRepositoryTests",
            dependencies: [
                "VolumeRepository", "ObjectStorage", "ObjectStorageTesting", "ProcessTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BackupEngineTests",
            dependencies: [
                "BackupEngine", "Kubernetes", "KubeSandbox", "ObjectStorage", "ObjectStorageTesting",
                "KubeSandboxTesting", "ProcessTesting", "VeleroAPI", "VolumeRepository",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NodeAgentTests",
            dependencies: [
                "NodeAgent", "Kubernetes", "KubernetesTesting", "KubeSandbox", "KubeSandboxTesting", "ProcessTesting",
                "VeleroAPI",
            ],
            swiftSettings: swiftSettings
        ),
        // The CLI's contracts, checked by running the `lifeboat` executable that `swift build --build-tests`
        // builds next to the test bundle (ProcessTesting's LifeboatProcess finds it).
        .testTarget(
            name: "LifeboatCLITests",
            dependencies: [
                "BackupEngine", "Kubernetes", "KubeSandbox", "KubeSandboxTesting", "LifeboatCLI", "ProcessTesting",
                "LocalServers",
                "ObjectStorage",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ControllersTests",
            dependencies: [
                "Controllers", "BackupEngine", "Kubernetes", "KubernetesTesting", "KubeSandboxTesting",
                "ObjectStorage", "VeleroAPI", "ProcessTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LifeboatFuzzingTests",
            dependencies: ["LifeboatFuzzing"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VeleroAPITests",
            dependencies: [
                "VeleroAPI", "Kubernetes", "KubeSandboxTesting", "ObjectStorage", "ObjectStorageTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
