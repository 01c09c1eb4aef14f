// swift-tools-version:6.2
import PackageDescription

// A user's package that gets the whole `cairn` command over its own workflows.
let package = Package(
    name: "custom-cli",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "cairn", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "MyTool",
            dependencies: [
                .product(name: "Cairn", package: "cairn"),
                .product(name: "CairnCLI", package: "cairn"),
            ]
        ),
    ]
)
