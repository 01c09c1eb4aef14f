// swift-tools-version:6.1
import PackageDescription

/// Upcoming features every Cairn target builds with (spellings checked by `UpcomingFeatureTests`).
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
        .library(name: "CairnInventory", targets: ["CairnInventory"]),
        .executable(name: "cairn-bench", targets: ["CairnBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "Cairn",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(name: "CairnInventory", dependencies: ["Cairn"], swiftSettings: strictSettings),
        .executableTarget(
            name: "CairnBenchmarks",
            dependencies: ["Cairn"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CairnTests",
            dependencies: ["Cairn", "CairnInventory", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Built on purpose WITHOUT the upcoming-feature flags: steps written as free functions in a
        // user's module that has none of Cairn's settings must still assemble into a workflow.
        .target(name: "ExternalSteps", dependencies: ["Cairn"], path: "Tests/ExternalSteps"),
        .testTarget(name: "CrossModuleTests", dependencies: ["Cairn", "ExternalSteps"]),
    ]
)
