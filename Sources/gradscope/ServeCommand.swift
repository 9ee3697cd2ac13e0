import ArgumentParser
import Foundation
import GradscopePostgres
import GradscopeService
import Synchronization

/// `gradscope serve`: the HTTP service and the dashboard.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API and the dashboard (docs/API.md).")

    @Option(help: "Address to listen on (IPv4); 0.0.0.0 exposes the server to the network.")
    var host = "127.0.0.1"

    @Option(help: "Port (0 picks a free one).")
    var port: UInt16 = 8080

    @Option(help: "Where jobs and datasets are stored (default $GRADSCOPE_DATA or ./data).")
    var dataDir: String?

    @Option(help: "The dashboard's folder (default ./public when it exists).")
    var publicDir: String?

    @Option(help: "Jobs running at once (default: one per core).")
    var maxJobs: Int?

    @Option(help: "Queued jobs before new ones get 429.")
    var maxQueue = JobManager.Configuration().maxQueue

    @Option(help: "Bearer token required on POST and DELETE (default $GRADSCOPE_TOKEN).")
    var token: String?

    @Option(help: "Largest model a job may build, in parameters.")
    var maxParameters = JobManager.Configuration().limits.maxParameters

    @Option(help: "Most optimizer steps a job may run.")
    var maxSteps = JobManager.Configuration().limits.maxSteps

    @Option(help: "Largest batch size.")
    var maxBatch = JobManager.Configuration().limits.maxBatchSize

    @Option(help: "Most rows of training data (generated or uploaded).")
    var maxRows = JobManager.Configuration().limits.maxRows

    @Option(help: "Connection limit.")
    var connections = Service.Configuration().http.connectionLimit

    @Option(help: "Seconds a request has to send its headers, from its connection's start or its previous request's end.")
    var headerTimeout = Service.Configuration().http.headerSeconds

    @Option(help: "Seconds a request has to send its body, after its headers.")
    var bodyTimeout = Service.Configuration().http.bodySeconds

    @Option(help: "Allow browser pages from this origin to call the API (CORS); none by default.")
    var corsOrigin: String?

    @Option(help: "Minutes after which an external run that posts nothing is ended as interrupted (0: never).")
    var runIdleMinutes = 60

    @OptionGroup(title: "Many servers on one database (docs/deployment.md)")
    var database: DatabaseOption

    @Option(help: "With a database: engine jobs this server runs itself besides serving (0: only `gradscope worker`s run them).")
    var workers = 0

    @Option(help: "With a database: connections this server may open to it.")
    var databaseConnections = 10

    func validate() throws {
        if let maxJobs, maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1") }
        if maxQueue < 0 { throw ValidationError("--max-queue must be 0 or more") }
        if !(0...1_000_000).contains(runIdleMinutes) { throw ValidationError("--run-idle-minutes must be from 0 to 1000000") }
        if workers < 0 { throw ValidationError("--workers must be 0 or more") }
        // The LISTEN of the event streams holds one for good, and so does an
        // in-process worker's; a query needs one more.
        let least = workers > 0 ? 4 : 3
        if !(least...1000).contains(databaseConnections) {
            throw ValidationError("--database-connections must be from \(least) to 1000\(workers > 0 ? " with --workers" : "")")
        }
    }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        var config = Service.Configuration()
        config.http.host = host
        config.http.port = port
        config.http.connectionLimit = connections
        for (name, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout)]
        where !(value > 0 && value <= 86_400) {
            fail("\(name) must be a number of seconds above 0, at most 86400; got \(value)")
        }
        config.http.headerSeconds = headerTimeout
        config.http.bodySeconds = bodyTimeout
        config.dataDirectory = URL(fileURLWithPath: dataDir ?? env["GRADSCOPE_DATA"] ?? "data")
        let publicPath = publicDir ?? "public"
        if FileManager.default.fileExists(atPath: publicPath + "/index.html") {
            config.publicDirectory = URL(fileURLWithPath: publicPath)
        } else if publicDir != nil {
            fail("--public-dir: \(publicPath) has no index.html")
        }
        if let maxJobs { config.jobs.maxJobs = maxJobs }
        config.jobs.maxQueue = maxQueue
        config.jobs.runIdleTimeout = runIdleMinutes > 0 ? .seconds(runIdleMinutes * 60) : nil
        config.jobs.limits.maxParameters = maxParameters
        config.jobs.limits.maxSteps = maxSteps
        config.jobs.limits.maxBatchSize = maxBatch
        config.jobs.limits.maxRows = maxRows
        // An empty token is no token, wherever it comes from: compose passes
        // GRADSCOPE_TOKEN="" when none is set, and the server must then say
        // it is open rather than claim a token it does not check.
        config.token = (token ?? env["GRADSCOPE_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        config.corsOrigin = corsOrigin
        let requestLog = RequestLog()
        logTimer = requestLog.startFlushing()
        config.log = { requestLog.append($0) }

        let service: Service
        let boundPort: UInt16
        var storage = "data: \(config.dataDirectory.path)"
        do {
            if database.url != nil {
                let db = database.open(maxConnections: databaseConnections)
                var backendConfig = PostgresBackend.Configuration()
                backendConfig.limits = config.jobs.limits
                backendConfig.maxQueue = max(maxQueue, 1)
                backendConfig.runIdleTimeout = config.jobs.runIdleTimeout
                backendConfig.cacheDirectory = config.dataDirectory.appendingPathComponent("cache")
                let backend = PostgresBackend(db: db, configuration: backendConfig)
                service = Service(configuration: config, backend: backend)
                storage = "database: \(db.location.host):\(db.location.port)/\(db.location.database)"
                if workers > 0 {
                    var workerConfig = Worker.Configuration()
                    workerConfig.slots = workers
                    let worker = Worker(backend: backend, configuration: workerConfig)
                    inProcessWorker = Task { await worker.run() }
                    storage += ", \(workers) job slot\(workers == 1 ? "" : "s")"
                }
            } else {
                service = try Service(configuration: config)
            }
            boundPort = try service.start()
        } catch {
            fail("cannot start the server: \(error)")
        }
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        print("gradscope serving on http://\(shownHost):\(boundPort)/  (\(storage)"
              + (config.token == nil ? ", no token: POST and DELETE are open" : ", token required") + ")")
        fflush(nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            source.setEventHandler {
                FileHandle.standardError.write(Data("gradscope: stopping\n".utf8))
                // Jobs of this server's own job slots end cancelled, as a worker's do.
                if let worker = inProcessWorker {
                    worker.cancel()
                    let stopped = DispatchSemaphore(value: 0)
                    Task {
                        await worker.value
                        stopped.signal()
                    }
                    _ = stopped.wait(timeout: .now() + 5)
                }
                service.stop()
                requestLog.flush()
                Foundation.exit(0)
            }
            source.resume()
            signalSources.append(source)
        }
        dispatchMain()
    }
}

/// One line per request on stderr, written in batches (at most every 0.2 s
/// or 64 KiB) so that logging costs no system call per request.
final class RequestLog: Sendable {
    private let buffer = Mutex(Data())

    /// Starts the periodic flush; the timer must be kept alive by the caller.
    func startFlushing() -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: Queues.timers)
        timer.schedule(deadline: .now() + 0.2, repeating: 0.2)
        timer.setEventHandler { self.flush() }
        timer.resume()
        return timer
    }

    func append(_ line: String) {
        var line = line
        let full = line.withUTF8 { bytes in
            buffer.withLock { b in
                // One copy of contiguous bytes; appending `line.utf8` as a sequence goes byte by byte.
                b.append(bytes.baseAddress!, count: bytes.count)
                b.append(10)
                return b.count > 64 << 10
            }
        }
        if full { flush() }
    }

    func flush() {
        let data = buffer.withLock { b in
            defer { b.removeAll(keepingCapacity: true) }
            return b
        }
        if !data.isEmpty { FileHandle.standardError.write(data) }
    }
}

/// Kept alive for the life of the process.
nonisolated(unsafe) private var signalSources: [DispatchSourceSignal] = []
nonisolated(unsafe) private var logTimer: DispatchSourceTimer?
nonisolated(unsafe) private var inProcessWorker: Task<Void, Never>?
