// swift-tools-version:6.2
import PackageDescription

/// Upcoming features every Cairn target builds with (spellings checked by `ValidationTests.upcomingFeatures`).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "cairn",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Cairn", targets: ["Cairn"]),
        .library(name: "CairnSQLite", targets: ["CairnSQLite"]),
        .library(name: "CairnPostgres", targets: ["CairnPostgres"]),
        .library(name: "CairnInventory", targets: ["CairnInventory"]),
        .library(name: "CairnCLI", targets: ["CairnCLI"]),
        .library(name: "CairnTesting", targets: ["CairnTesting"]),
        .executable(name: "cairn", targets: ["CairnTool"]),
        .executable(name: "cairn-bench", targets: ["CairnBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // The engine: no database.
        .target(
            name: "Cairn",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),
        // The journal on SQLite, through GRDB.
        .target(
            name: "CairnSQLite",
            dependencies: ["Cairn", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // The article's domain as a plug-in: workflows, the inventory ledger's tables and views, its commands.
        .target(
            name: "CairnInventory",
            dependencies: [
                "Cairn", "CairnSQLite", "CairnCLI", "CairnServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // The HTTP API (`cairn serve`) over a journal, with Hummingbird: handlers written to `Schemas/openapi.yaml`.
        .target(
            name: "CairnServer",
            dependencies: [
                "Cairn", "CairnSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // The `cairn` command tree, reusable by a user's package over its own workflows.
        .target(
            name: "CairnCLI",
            dependencies: [
                "Cairn", "CairnSQLite", "CairnPostgres", "CairnServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Test kit: barriers, gates, call counters, a fault-injecting journal and the journal conformance suite.
        .target(name: "CairnTesting", dependencies: ["Cairn"], swiftSettings: strictSettings),
        .executableTarget(name: "CairnTool", dependencies: ["CairnCLI", "CairnInventory"], swiftSettings: strictSettings),
        .executableTarget(
            name: "CairnBenchmarks",
            dependencies: ["Cairn", "CairnSQLite", "CairnInventory", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CairnTests",
            dependencies: [
                "Cairn", "CairnInventory", "CairnTesting",
                .product(name: "Logging", package: "swift-log"), .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The journal on PostgreSQL, for many workers on many machines (postgres-nio's client and its pool; no ORM).
        .target(
            name: "CairnPostgres",
            dependencies: ["Cairn", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CairnPostgresTests",
            dependencies: ["Cairn", "CairnPostgres", "CairnTesting", "PostgresTestSupport", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strictSettings
        ),
        // The tests' PostgreSQL server (CAIRN_TEST_POSTGRES) and fresh databases on it, for both test targets.
        .target(
            name: "PostgresTestSupport", dependencies: ["CairnPostgres", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/PostgresTestSupport", swiftSettings: strictSettings
        ),
        // A `cairn` over workflows that tests need in a real process and the shipped domain has no shape for.
        .executableTarget(name: "CairnFixtures", dependencies: ["Cairn", "CairnCLI"], path: "Tests/CairnFixtures", swiftSettings: strictSettings),
        .testTarget(
            name: "CairnSQLiteTests",
            dependencies: [
                "Cairn", "CairnSQLite", "CairnInventory", "CairnCLI", "CairnServer", "CairnTesting", "CairnFixtures", "PostgresTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        // Built on purpose WITHOUT the upcoming-feature flags: steps written as free functions in a
        // user's module that has none of Cairn's settings must still assemble into a workflow.
        .target(name: "ExternalSteps", dependencies: ["Cairn"], path: "Tests/ExternalSteps"),
        .testTarget(name: "CrossModuleTests", dependencies: ["Cairn", "ExternalSteps"]),
    ]
)
