import Foundation
import GradscopeService
import PostgresNIO

/// The database's tables, as numbered migrations. `gradscope migrate`
/// applies the ones a database lacks, each in its own transaction, under an
/// advisory lock, so running it twice (or from two machines at once) is safe.
/// A migration, once released, is never edited: a change is a new one.
public enum Schema {
    /// Runs per records partition: retention drops a partition, so this is
    /// its unit (the runs are numbered in the order they were created).
    public static let runsPerPartition: Int64 = 10_000

    static let migrations: [(version: Int, name: String, sql: [String])] = [
        (1, "jobs, records, datasets", [
            """
            CREATE SEQUENCE job_numbers
            """,
            // One row per job or run: its lifecycle, its queue lease, and the
            // summary each flush keeps up to date, so that lists never read records.
            """
            CREATE TABLE jobs (
                number bigint PRIMARY KEY,
                id text NOT NULL UNIQUE,
                name text,
                source text,
                status text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                started_at timestamptz,
                finished_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now(),
                step bigint NOT NULL DEFAULT 0,
                total_steps bigint NOT NULL DEFAULT 0,
                verdict text,
                error text,
                spec text NOT NULL,
                init_checkpoint text,
                checkpoint text,
                token text,
                worker text,
                lease_until timestamptz,
                cancel_requested boolean NOT NULL DEFAULT false,
                last_seq bigint NOT NULL DEFAULT 0,
                last_step bigint NOT NULL DEFAULT 0,
                steps bigint NOT NULL DEFAULT 0,
                last_loss double precision,
                max_grad_norm double precision NOT NULL DEFAULT 0,
                nonfinite_steps bigint NOT NULL DEFAULT 0,
                first_nonfinite text,
                summary text,
                report text
            )
            """,
            "CREATE INDEX jobs_by_status ON jobs (status, number DESC)",
            "CREATE INDEX jobs_queue ON jobs (number) WHERE status = 'queued'",
            "CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running' AND source IS NULL",
            "CREATE INDEX jobs_idle_runs ON jobs (updated_at) WHERE status = 'running' AND source = 'external'",
            // One row per record (a step record is one row, never one per
            // value), in the order written; partitioned by run number.
            """
            CREATE TABLE records (
                job bigint NOT NULL,
                seq bigint NOT NULL,
                type text NOT NULL,
                step bigint,
                body text NOT NULL,
                -- A step record's norm (null when not finite) and NaN/Inf
                -- flag: what a chart's downsampling reads (ChartSample).
                grad_norm double precision,
                nonfinite boolean NOT NULL DEFAULT false,
                PRIMARY KEY (job, seq)
            ) PARTITION BY RANGE (job)
            """,
            // A retried batch costs an index probe, never a history scan; a
            // chart's sample is read from this index alone.
            "CREATE UNIQUE INDEX records_steps ON records (job, step) INCLUDE (grad_norm, nonfinite) WHERE type = 'step'",
            """
            CREATE TABLE datasets (
                id text PRIMARY KEY,
                name text NOT NULL,
                rows bigint NOT NULL,
                columns text NOT NULL,
                csv text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
    ]

    /// The newest version this build knows.
    public static var latest: Int { migrations.last!.version }

    /// Applies the missing migrations; returns the versions applied now.
    @discardableResult
    public static func migrate(_ db: Database) async throws -> [Int] {
        try await db.transaction { conn in
            // One migrator at a time; the lock ends with the transaction.
            try await conn.run("SELECT pg_advisory_xact_lock(7243001)", db.logger)
            try await conn.run("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, db.logger)
            var applied: Set<Int> = []
            for version in try await conn.rows("SELECT version FROM schema_migrations", db.logger, as: (Int).self) { applied.insert(version) }
            var now: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.sql { try await conn.run(PostgresQuery(unsafeSQL: statement), db.logger) }
                try await conn.run("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", db.logger)
                now.append(migration.version)
            }
            return now
        }
    }

    /// The database's version, or a failure saying to migrate: a server
    /// must not run on tables it does not know.
    public static func check(_ db: Database) async throws {
        let versions = try await db.rows("SELECT coalesce(max(version), 0) FROM schema_migrations", as: (Int).self)
        let version = versions.first ?? 0
        guard version == latest else {
            throw StorageFailure(message: version < latest
                ? "the database is at schema version \(version), this build needs \(latest): run `gradscope migrate --database …` first"
                : "the database is at schema version \(version), newer than this build's \(latest): upgrade gradscope")
        }
    }

    /// Fails unless the database answers.
    public static func reachable(_ db: Database) async throws {
        _ = try await db.rows("SELECT 1", as: (Int).self)
    }

    /// Creates the records partition that holds run `number`, if missing.
    static func ensurePartition(for number: Int64, on conn: PostgresConnection, _ db: Database) async throws {
        let block = number / runsPerPartition
        let name = "records_\(block)"
        let exists = try await conn.rows("SELECT to_regclass(\(name)) IS NOT NULL", db.logger, as: (Bool.self))
        guard exists.first != true else { return }
        // Two replicas creating the same partition: one waits for the other.
        try await conn.run("SELECT pg_advisory_xact_lock(7243002, \(Int32(truncatingIfNeeded: block)))", db.logger)
        try await conn.run(PostgresQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(name) PARTITION OF records
            FOR VALUES FROM (\(block * runsPerPartition)) TO (\((block + 1) * runsPerPartition))
            """), db.logger)
    }
}
