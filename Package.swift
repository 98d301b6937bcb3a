// swift-tools-version: 6.2
import PackageDescription

// MARK: - Settings shared by every target

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

// MARK: - Targets

let package = Package(
    name: "Ensemble",
    products: [
        .executable(name: "ensemble", targets: ["ensemble"]),
        .library(name: "EnsembleCore", targets: ["EnsembleCore"]),
    ],
    dependencies: [
        // The CLI target is the only importer.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The server target is the only importer.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Hummingbird's own dependencies, named for the server's worker pool service and its logger.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The server's Prometheus metrics: swift-metrics' API, swift-prometheus' registry and text format.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The PostgreSQL store: the Swift server community's client, in the store backend's target only.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Pure: domain values, agents, supervisor. No files, sockets, SQLite or Foundation.
        .target(name: "EnsembleCore"),
        // Pure: bytes in, values out. Transcript readers, session.json decoding, report writers.
        .target(name: "EnsembleFormats", dependencies: ["EnsembleCore"]),
        // OpenSSL's libcrypto through a system library (libssl-dev): SHA-256 and HMAC.
        .systemLibrary(
            name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // SQLite through the system library (libsqlite3-dev).
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // What the operating system gives: SHA-256, HMAC and random tokens (libcrypto), private files.
        .target(name: "EnsembleSystem", dependencies: ["CCrypto"]),
        // The file system: scenario folders, agent configuration with content hashes, size limits.
        .target(name: "EnsembleIO", dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleSystem"]),
        // The system of record: sessions, versioned notes, review, risk, claims and the audit trail.
        .target(
            name: "EnsembleStore", dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleSystem", "CSQLite"]),
        // The store on PostgreSQL (several `ensemble serve` instances on one database), through PostgresNIO.
        .target(
            name: "EnsemblePostgres",
            dependencies: [
                "EnsembleStore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The one way to draft: the supervisor, the engine, and the store's corrections and records.
        .target(
            name: "EnsembleService",
            dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleStore", "EnsembleSystem"]),
        // HTTP requests over FoundationNetworking (the system's libcurl): model calls and FHIR pushes.
        .target(name: "EnsembleHTTP"),
        // Language models behind any OpenAI-compatible endpoint.
        .target(name: "EnsembleLLM", dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleHTTP"]),
        // `ensemble serve`: the EHR webhook, the job queue, the REST API and the review pages, on Hummingbird.
        .target(
            name: "EnsembleServer",
            dependencies: [
                "EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleStore", "EnsembleService", "EnsembleSystem",
                "EnsembleHTTP", "CCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Commands as library code, tested in-process.
        .target(
            name: "EnsembleCLI",
            dependencies: [
                "EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleStore", "EnsemblePostgres", "EnsembleService",
                "EnsembleSystem", "EnsembleLLM",
                "EnsembleServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "ensemble", dependencies: ["EnsembleCLI"]),
        // Shared by tests and benchmarks: synthetic sessions, fixture paths.
        .target(name: "EnsembleTesting", dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleIO"]),
        // Shared by the store's and the server's tests: a fresh database on either backend.
        .target(name: "EnsembleStoreTesting", dependencies: ["EnsembleStore", "EnsemblePostgres", "CSQLite"]),
        .executableTarget(
            name: "EnsembleBenchmarks",
            dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleTesting"],
            path: "Benchmarks",
            exclude: ["Store"]
        ),
        // `make bench-store`: the store under load on SQLite and on PostgreSQL.
        .executableTarget(
            name: "EnsembleStoreBenchmarks",
            dependencies: [
                "EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleStore", "EnsembleService", "EnsembleTesting",
                "EnsembleStoreTesting",
            ],
            path: "Benchmarks/Store"
        ),

        .testTarget(name: "EnsembleCoreTests", dependencies: ["EnsembleCore", "EnsembleIO", "EnsembleTesting"]),
        .testTarget(
            name: "EnsembleFormatsTests",
            dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleTesting"]),
        .testTarget(
            name: "EnsembleCLITests",
            dependencies: [
                "EnsembleCLI", "EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleStore", "EnsembleSystem",
                "EnsembleTesting", "EnsembleStoreTesting",
            ]
        ),
        .testTarget(
            name: "EnsembleStoreTests",
            dependencies: [
                "EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleStore", "EnsembleSystem", "EnsembleTesting",
                "EnsembleStoreTesting", "CSQLite",
            ]),
        .testTarget(
            name: "EnsembleLLMTests",
            dependencies: [
                "EnsembleCore", "EnsembleFormats", "EnsembleHTTP", "EnsembleIO", "EnsembleLLM", "EnsembleTesting",
            ]),
        .testTarget(
            name: "EnsembleServerTests",
            dependencies: [
                "EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleStore", "EnsembleServer", "EnsembleService",
                "EnsembleSystem", "EnsembleHTTP",
                "EnsembleLLM", "EnsembleTesting", "EnsembleStoreTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(
            name: "EnsemblePostgresTests",
            dependencies: [
                "EnsembleCore", "EnsemblePostgres", "EnsembleStore", "EnsembleTesting", "EnsembleStoreTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "ScenarioTests",
            dependencies: ["EnsembleCore", "EnsembleFormats", "EnsembleIO", "EnsembleSystem", "EnsembleTesting"]
        ),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
