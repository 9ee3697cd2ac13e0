// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "gradscope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gradscope", targets: ["gradscope"]),
        .library(name: "GradscopeEngine", targets: ["GradscopeEngine"]),
        .library(name: "GradscopeDiagnosis", targets: ["GradscopeDiagnosis"]),
        .library(name: "GradscopeSpec", targets: ["GradscopeSpec"]),
        .library(name: "GradscopeRun", targets: ["GradscopeRun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The PostgreSQL backend (many servers and workers on one database).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C libraries, each behind one module map; nothing else imports C.
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CMicroHTTPD", path: "Sources/CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),

        // HTTP over libmicrohttpd: requests, responses, routing, event streams.
        // Knows nothing of training.
        .target(name: "GradscopeHTTP", dependencies: ["CMicroHTTPD"]),

        // The training engine: tensors, layers, losses, optimizers, datasets,
        // statistics. No networking, no logging, no clocks.
        .target(
            name: "GradscopeEngine",
            dependencies: ["CBLAS", "CZlib"],
            exclude: ["Resources/DIGITS.md"],
            resources: [.copy("Resources/digits.csv.gz")],
            // The engine is numeric loops and SIMD code, which -Onone makes
            // tens of times slower: optimised in debug builds too, so that the
            // test suite trains its scenarios in seconds.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),

        // Online detectors, the verdict and remedies; consumes the engine's records.
        .target(name: "GradscopeDiagnosis", dependencies: ["GradscopeEngine"]),

        // Wire types: the JSON job spec, records (one type each, with its
        // encoder and checked reader), external runs' declarations.
        .target(name: "GradscopeSpec", dependencies: ["GradscopeEngine", "GradscopeDiagnosis"]),

        // One job driven to its end with its diagnosis: built from its spec,
        // trained, recorded; remedy trials.
        .target(name: "GradscopeRun", dependencies: ["GradscopeSpec", "GradscopeEngine", "GradscopeDiagnosis"]),

        // Jobs, persistence, live streams and the API, on the HTTP layer.
        .target(name: "GradscopeService",
                dependencies: ["GradscopeHTTP", "GradscopeRun", "GradscopeSpec", "GradscopeDiagnosis", "GradscopeEngine"]),

        // The PostgreSQL backend: the store, job queue and live-event bus of
        // `--database postgres://…`, and the worker. The only importer of PostgresNIO.
        .target(name: "GradscopePostgres",
                dependencies: ["GradscopeService", "GradscopeHTTP", "GradscopeRun", "GradscopeSpec", "GradscopeDiagnosis",
                               .product(name: "PostgresNIO", package: "postgres-nio"),
                               .product(name: "Logging", package: "swift-log")],
                // A query whose result is not used is the pitfall that loses rows
                // silently (docs/development.md): no warning may pass.
                swiftSettings: [.unsafeFlags(["-warnings-as-errors"])]),

        // The thin command-line front end.
        .executableTarget(
            name: "gradscope",
            dependencies: [
                "GradscopeEngine", "GradscopeDiagnosis", "GradscopeSpec", "GradscopeRun", "GradscopeService", "GradscopePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "GradscopeEngineTests", dependencies: ["GradscopeEngine"]),
        .testTarget(name: "GradscopeDiagnosisTests", dependencies: ["GradscopeDiagnosis", "GradscopeEngine"]),
        .testTarget(name: "GradscopeSpecTests", dependencies: ["GradscopeSpec", "GradscopeRun", "GradscopeDiagnosis", "GradscopeEngine"]),
        // End-to-end: a real server on loopback, talked to over HTTP.
        .testTarget(name: "GradscopeServiceTests",
                    dependencies: ["GradscopeService", "GradscopePostgres", "GradscopeHTTP", "GradscopeSpec", "GradscopeRun",
                                   .product(name: "PostgresNIO", package: "postgres-nio")]),
        // End-to-end: runs the built `gradscope` executable as a user would.
        .testTarget(name: "GradscopeCLITests", dependencies: ["gradscope"]),
    ],
    swiftLanguageModes: [.v6]
)
