import Foundation
import PostgresNIO
import Synchronization
import Testing
@testable import GradscopePostgres
@testable import GradscopeService

/// The database the service tests run on when `GRADSCOPE_TEST_DATABASE_URL`
/// names one (`scripts/test` starts a throwaway server for them): one fresh,
/// migrated database per data directory, so a test that restarts its server
/// on the same directory finds the same database.
enum TestDatabase {
    static let url = ProcessInfo.processInfo.environment["GRADSCOPE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// For the tests of what only the local backend does: a data directory
    /// that fills up or is read again at a restart, remedy experiments in its job slots.
    static let localOnly = Testing.ConditionTrait.enabled(if: url == nil, "the local backend's own behaviour")

    private static let made = Mutex<[URL: String]>([:])

    /// A connection pool on the database of `directory`, created and migrated on first use.
    static func database(for directory: URL) throws -> Database {
        let base = try Database.Location(url: url!)
        let name = made.withLock { m in
            if let name = m[directory] { return (name, false) }
            let name = "gs_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
            m[directory] = name
            return (name, true)
        }
        if name.1 {
            let admin = Database(base, maxConnections: 1)
            defer { admin.close() }
            try wait { try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name.0)")) }
        }
        var location = base
        location.database = name.0
        let db = Database(location, maxConnections: 10)
        if name.1 { try wait { _ = try await Schema.migrate(db) } }
        return db
    }

    /// Waits on this (test) thread for async work.
    @discardableResult
    static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T { try Queues.block(work) }
}
