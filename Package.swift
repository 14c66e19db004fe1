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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
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
        .target(
            name: "RiskGateCLI",
            dependencies: [
                "RuleLanguage", "RuleEngine", "RuleFiles", "Workflow", "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "riskgate", dependencies: ["RiskGateCLI"], swiftSettings: strict),
        .testTarget(name: "RuleLanguageTests", dependencies: ["RuleLanguage", "RuleEngine", "RuleFiles"], swiftSettings: strict),
        .testTarget(name: "RuleEngineTests", dependencies: ["RuleEngine", "RuleLanguage", "RuleFiles"], swiftSettings: strict),
        .testTarget(name: "WorkflowTests", dependencies: ["Workflow"], swiftSettings: strict),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "Workflow", "RuleEngine", "RuleFiles", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RiskGateCLITests",
            dependencies: ["RiskGateCLI", "RuleFiles", "RuleEngine"],
            swiftSettings: strict
        ),
    ]
)
