import ArgumentParser
import Foundation
import GradscopePostgres
import GradscopeService
import Synchronization

/// `--database`, shared by `serve`, `worker` and `migrate`.
struct DatabaseOption: ParsableArguments {
    @Option(help: "PostgreSQL URL, postgres://user:password@host:5432/gradscope (default $GRADSCOPE_DATABASE_URL).")
    var database: String?

    @Option(help: "Seconds to wait at start for the database to answer (and be migrated), as a container started beside it must.")
    var databaseWait = 60

    /// The URL given, or the environment's; nil for neither.
    var url: String? {
        (database ?? ProcessInfo.processInfo.environment["GRADSCOPE_DATABASE_URL"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The database, checked to be at this build's schema version.
    func open(maxConnections: Int, migrated: Bool = true) -> Database {
        guard let url else { fail("no database: pass --database postgres://… or set GRADSCOPE_DATABASE_URL") }
        let db: Database
        do { db = Database(try Database.Location(url: url), maxConnections: maxConnections) } catch { fail(error.message) }
        // A server or worker started with its database (compose, Kubernetes)
        // waits for it to come up and be migrated, saying so once.
        let deadline = Date().addingTimeInterval(Double(max(0, databaseWait)))
        var said = false
        while true {
            do {
                try Queues.block { migrated ? try await Schema.check(db) : try await Schema.reachable(db) }
                return db
            } catch {
                guard Date() < deadline else { fail("\(error)") }
                if !said { FileHandle.standardError.write(Data("gradscope: waiting for the database: \(error)\n".utf8)) }
                said = true
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }
}

/// `gradscope migrate`: creates or updates the database's tables.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or update the tables of a PostgreSQL database (safe to run twice, or from two machines at once).")

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let db = database.open(maxConnections: 1, migrated: false)
        let applied: [Int]
        do { applied = try Queues.block { try await Schema.migrate(db) } } catch { fail("cannot migrate: \(error)") }
        print(applied.isEmpty ? "the database is at schema version \(Schema.latest); nothing to do"
              : "applied migration\(applied.count == 1 ? "" : "s") \(applied.map(String.init).joined(separator: ", ")); the database is at version \(Schema.latest)")
    }
}

/// `gradscope worker`: runs queued engine jobs from the database.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the engine jobs queued in a PostgreSQL database (any number of workers, on any machines).")

    @OptionGroup var database: DatabaseOption

    @Option(help: "Jobs run at once (default: one per core).")
    var slots: Int?

    @Option(help: "Seconds a claimed job stays this worker's without a heartbeat; after that it is marked interrupted.")
    var leaseSeconds = 30

    func validate() throws {
        if let slots, slots < 1 { throw ValidationError("--slots must be at least 1") }
        if !(3...3600).contains(leaseSeconds) { throw ValidationError("--lease-seconds must be from 3 to 3600") }
    }

    func run() throws {
        var config = Worker.Configuration()
        if let slots { config.slots = slots }
        config.lease = .seconds(leaseSeconds)
        config.heartbeat = .seconds(max(1, leaseSeconds / 6))
        let db = database.open(maxConnections: config.slots + 3)
        let worker = Worker(backend: PostgresBackend(db: db), configuration: config)
        print("gradscope worker \(worker.name): \(config.slots) slot\(config.slots == 1 ? "" : "s") on \(db.location.host):\(db.location.port)/\(db.location.database)")
        fflush(nil)
        runUntilSignalled(worker)
    }
}

/// Runs `worker` until SIGINT or SIGTERM, then lets its running jobs end as cancelled.
func runUntilSignalled(_ worker: Worker) {
    let task = Task { await worker.run() }
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
        source.setEventHandler {
            FileHandle.standardError.write(Data("gradscope: stopping\n".utf8))
            task.cancel()
            Task {
                await task.value
                Foundation.exit(0)
            }
        }
        source.resume()
        workerSignals.append(source)
    }
    dispatchMain()
}

nonisolated(unsafe) private var workerSignals: [DispatchSourceSignal] = []
