// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "RiskGate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "riskgate", targets: ["riskgate"]),
        .library(name: "RuleLanguage", targets: ["RuleLanguage"]),
        .library(name: "RuleEngine", targets: ["RuleEngine"]),
        .library(name: "RuleFiles", targets: ["RuleFiles"]),
        .library(name: "Workflow", targets: ["Workflow"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "LineProtocol", targets: ["LineProtocol"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // The server's allocator (see Sources/riskgate/main.swift); linked into the executable only.
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .target(name: "RuleLanguage", dependencies: ["CYAML"], swiftSettings: strict),
        .target(name: "RuleEngine", dependencies: ["RuleLanguage"], swiftSettings: strict),
        .target(
            name: "RuleFiles",
            dependencies: ["RuleLanguage", "RuleEngine", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(name: "Workflow", swiftSettings: strict),
        .target(
            name: "Store",
            dependencies: [
                "RuleLanguage", "RuleEngine", "RuleFiles", "Workflow",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "LineProtocol", swiftSettings: strict),
        .target(
            name: "Server",
            dependencies: [
                "RuleLanguage", "RuleEngine", "RuleFiles", "Workflow", "Store", "LineProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RiskGateCLI",
            dependencies: [
                "RuleLanguage", "RuleEngine", "RuleFiles", "Workflow", "Store", "LineProtocol", "Server",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "riskgate", dependencies: ["RiskGateCLI", "CJemalloc"], swiftSettings: strict),
        .testTarget(name: "RuleLanguageTests", dependencies: ["RuleLanguage", "RuleEngine", "RuleFiles"], swiftSettings: strict),
        .testTarget(name: "RuleEngineTests", dependencies: ["RuleEngine", "RuleLanguage", "RuleFiles"], swiftSettings: strict),
        .testTarget(name: "WorkflowTests", dependencies: ["Workflow"], swiftSettings: strict),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "Workflow", "RuleEngine", "RuleFiles", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(name: "LineProtocolTests", dependencies: ["LineProtocol"], swiftSettings: strict),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Store", "LineProtocol", "Workflow", "RuleFiles",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RiskGateCLITests",
            dependencies: ["RiskGateCLI", "RuleFiles", "RuleEngine"],
            swiftSettings: strict
        ),
    ]
)
