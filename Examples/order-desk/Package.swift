// swift-tools-version:6.2
import PackageDescription

// The article's "Application" diagram, for real: two teams' modules that share only event types. The monitor
// module publishes a trade request; the order module's workflow starts on it. Neither imports the other; the
// executable wires both into one `cairn` command.
let package = Package(
    name: "order-desk",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "cairn", path: "../.."),
    ],
    targets: [
        // The contract between the teams: event types, nothing else.
        .target(name: "TradeEvents", dependencies: [.product(name: "Cairn", package: "cairn")]),
        // The monitoring team's workflow: it decides and publishes.
        .target(name: "StockMonitor", dependencies: ["TradeEvents", .product(name: "Cairn", package: "cairn")]),
        // The trading team's workflow: it starts on each published request.
        .target(name: "OrderStation", dependencies: ["TradeEvents", .product(name: "Cairn", package: "cairn")]),
        .executableTarget(
            name: "OrderDesk",
            dependencies: ["StockMonitor", "OrderStation", .product(name: "Cairn", package: "cairn"), .product(name: "CairnCLI", package: "cairn")]
        ),
    ]
)
