// swift-tools-version: 6.1
// RiskGate's benchmarks: a package of their own, so that the product build and CI never compile the harness.
// Run with `swift package --allow-writing-to-package-directory benchmark` from this folder (or `make bench`).
import PackageDescription

let package = Package(
    name: "RiskGateBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "RiskGate", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // server-bench (issue 4): a NIO client for `riskgate serve`, latencies in HdrHistogram.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // store-bench reads the database directly for its checks.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // The application mix: deterministic, realistic applications for the reference policy (shared by the
        // in-process benchmarks and the end-to-end generator).
        .target(name: "ApplicationMix"),
        .executableTarget(name: "generate-applications", dependencies: ["ApplicationMix"]),
        // The reference policy and the mix, compiled and decoded once: what every in-process benchmark reads.
        .target(
            name: "BenchmarkWorkload",
            dependencies: [
                "ApplicationMix",
                .product(name: "RuleEngine", package: "RiskGate"),
                .product(name: "RuleFiles", package: "RiskGate"),
            ]
        ),
        // One benchmark loop outside the harness, for perf and callgrind.
        .executableTarget(
            name: "riskgate-profile",
            dependencies: ["BenchmarkWorkload", .product(name: "RuleEngine", package: "RiskGate")]
        ),
        // Durable intake throughput and take-next/approve latency on a real SQLite file (issue 3).
        .executableTarget(
            name: "store-bench",
            dependencies: [
                "BenchmarkWorkload",
                .product(name: "Store", package: "RiskGate"),
                .product(name: "Workflow", package: "RiskGate"),
                .product(name: "RuleFiles", package: "RiskGate"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Pipelined SUBMIT throughput and NEXT/APPROVE latency against a real `riskgate serve` process (issue 4).
        .executableTarget(
            name: "server-bench",
            dependencies: [
                "ApplicationMix",
                .product(name: "Server", package: "RiskGate"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(
            name: "RiskGateBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RuleEngine", package: "RiskGate"),
                "BenchmarkWorkload",
            ],
            path: "Benchmarks/RiskGateBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
