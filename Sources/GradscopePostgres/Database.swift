import Foundation
import GradscopeService
import Logging
import PostgresNIO

/// A pool of connections to one PostgreSQL database, from a
/// `postgres://user:password@host:port/database` URL. The pool is bounded
/// (`maxConnections`, 10 by default): replicas share one database, and each
/// must leave room for the others. Every query goes through here with its
/// logger, so that none can fall back to postgres-nio's legacy string query,
/// which is not awaited and loses its errors.
public final class Database: Sendable {
    public struct Location: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        public var requireTLS: Bool

        /// Parses `postgres://` or `postgresql://` URLs. `?sslmode=require`
        /// (or `verify-ca`, `verify-full`) connects with TLS and verifies the
        /// server's certificate against the system's roots; anything else
        /// connects in the clear (loopback, a private network).
        public init(url text: String) throws(StorageFailure) {
            guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
                  let host = url.host, !host.isEmpty else {
                throw StorageFailure(message: "the database URL must be postgres://user[:password]@host[:port]/database, got \(Self.redacted(text))")
            }
            self.host = host
            port = url.port ?? 5432
            // URLComponents has decoded them already.
            user = url.user ?? "postgres"
            password = url.password
            let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
            database = path.isEmpty ? "gradscope" : path
            requireTLS = url.queryItems?.first { $0.name == "sslmode" }?.value.map { ["require", "verify-ca", "verify-full"].contains($0) } ?? false
        }

        /// The URL without its password, for messages.
        static func redacted(_ text: String) -> String {
            guard var url = URLComponents(string: text), url.password != nil else { return text }
            url.password = "***"
            return url.string ?? "(unreadable URL)"
        }

        var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
    }

    public let location: Location
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    public init(_ location: Location, maxConnections: Int = 10) {
        self.location = location
        var config = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: location.requireTLS ? .require(.makeClientConfiguration()) : .disable)
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = 0
        config.options.connectTimeout = .seconds(5)
        var logger = Logger(label: "gradscope.postgres")
        logger.logLevel = .error
        self.logger = logger
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Stops the pool (its connections close).
    public func close() { runner.cancel() }

    /// Runs `query`, mapping every failure to a `StorageFailure` that names the database.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        do { return try await client.query(query, logger: logger) } catch { throw failure(error) }
    }

    /// All rows of `query`, decoded as `types`.
    func rows<each T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as types: (repeat each T).Type) async throws -> [(repeat each T)] {
        do {
            var out: [(repeat each T)] = []
            for try await row in try await client.query(query, logger: logger).decode((repeat each T).self) { out.append(row) }
            return out
        } catch { throw failure(error) }
    }

    /// Runs `body` in one transaction on one connection: committed if it
    /// returns, rolled back if it throws.
    func transaction<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        do { return try await client.withTransaction(logger: logger) { try await body($0) } } catch { throw failure(error) }
    }

    /// Holds one of the pool's connections for `body` (the LISTEN of a replica).
    func withConnection<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        do { return try await client.withConnection { try await body($0) } } catch { throw failure(error) }
    }

    func failure(_ error: any Error) -> StorageFailure {
        if let failure = error as? StorageFailure { return failure }
        if let psql = error as? PSQLError {
            let detail = psql.serverInfo?[.message] ?? "\(psql.code)"
            return StorageFailure(message: "\(location.description): \(detail)")
        }
        return StorageFailure(message: "\(location.description): \(error)")
    }
}

extension PostgresConnection {
    /// A query on this connection; the logger is what makes it the awaited,
    /// bound API (see `Database`).
    @discardableResult
    func run(_ query: PostgresQuery, _ logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }

    func rows<each T: PostgresDecodable & Sendable>(_ query: PostgresQuery, _ logger: Logger, as types: (repeat each T).Type) async throws -> [(repeat each T)] {
        var out: [(repeat each T)] = []
        for try await row in try await self.query(query, logger: logger).decode((repeat each T).self) { out.append(row) }
        return out
    }
}
