import Foundation
import GradscopeHTTP
import GradscopeRun
import GradscopeSpec

/// Where jobs and runs live: their store, the queue that runs engine jobs
/// and the bus that carries live records to event streams. The API is
/// written once against this; two implementations:
///
/// - `JobManager`, the default: a data directory, Dispatch queues and an
///   in-memory broadcaster in one process. Its methods are synchronous, so
///   the API answers from it at once, on the I/O thread (`Response.answer`).
/// - `PostgresBackend` (module GradscopePostgres): one PostgreSQL database
///   shared by any number of server replicas and `gradscope worker`s.
///
/// The async requirements throw untyped errors (`SubmitError`,
/// `CommandError`, `IngestError`, `StorageFailure`, as each says): typed
/// throws on async protocol requirements crash Swift 6.3's optimizer
/// (coroutine splitting) in release builds.
///
/// Store, queue and bus are one protocol, not three: the local backend
/// hands a new subscriber from its replay to the live records under the
/// lock its appends take, and the database backend does the same with the
/// sequence numbers its rows carry; either way the three meet in one place.
public protocol JobBackend: Sendable {
    /// The limits every submitted job is validated against.
    var limits: JobLimits { get }

    // MARK: Engine jobs
    /// Validates `json` (`Job.validate`), stores it and queues it.
    func submit(json: JSONValue, checkpoint: Checkpoint?) async throws -> JobMeta
    /// A queued job is cancelled at once; a running one within a step.
    func cancel(_ id: String) async throws -> JobMeta
    /// Forgets a job and its records; a running one is cancelled first.
    func delete(_ id: String) async throws

    // MARK: External runs
    /// Creates a run that posts its records; returns it and its ingest token.
    func createRun(json: JSONValue) async throws -> (meta: JobMeta, token: String)
    /// Refuses a wrong token from the headers alone, before the body is
    /// read, where the backend can tell without waiting (else `ingest` does).
    func authorizeIngest(_ id: String, token: String?) throws(IngestError)
    /// Checks, diagnoses and stores a batch; retried steps are skipped.
    func ingest(_ id: String, token: String?, body: Data) async throws -> IngestResult
    /// Appends the summary and report, and ends the run with `status`.
    func finishRun(_ id: String, token: String?, status: JobMeta.Status, dropped: Int) async throws -> JobMeta

    // MARK: Reading
    func meta(_ id: String) async throws -> JobMeta?
    /// Newest first.
    func list(status: JobMeta.Status?, limit: Int, offset: Int) async throws -> (jobs: [JobMeta], total: Int)
    func spec(_ id: String) async throws -> Data?
    /// A finished job's summary record.
    func summary(_ id: String) async throws -> String?
    /// A finished job's report record.
    func report(_ id: String) async throws -> String?
    func checkpoint(_ id: String) async throws -> Data?
    /// Every `every`-th step record after step `from`, at most `limit`, and
    /// the step to ask from next (nil at the end).
    func steps(_ id: String, from: Int, limit: Int, every: Int) async throws -> (records: [String], next: Int?)
    /// The step records after step `from` that a chart of at most `points`
    /// points shows (`ChartSample`), in step order.
    func chart(_ id: String, from: Int, points: Int) async throws -> [String]
    /// Every stored record line, in order.
    func records(_ id: String) async throws -> [Substring]
    /// Streams the job's records after step `from` (the start record
    /// always), then its live records, then its final status, to `stream`.
    func subscribe(_ id: String, from: Int, stream: EventStream)
    /// Jobs by status, for health and metrics.
    func counts() async throws -> [JobMeta.Status: Int]
    /// Steps trained or ingested by this process since it started.
    var stepsDone: Int { get }

    // MARK: Datasets
    func storeDataset(csv: Data, name: String, rows: Int, columns: [String]) async throws -> String
    func datasetDescriptions() async throws -> [DatasetDescription]
    /// A local file holding dataset `id`, fetched first if need be, or nil
    /// when there is no such dataset.
    func datasetFile(_ id: String) async throws -> String?

    // MARK: Lifecycle
    /// Every 15 s: keeps streams alive and ends idle runs.
    func heartbeat()
    /// Stops running work (bounded wait) and ends every stream.
    func shutdown()
}

/// What `ingest` did with a batch.
public struct IngestResult: Sendable, Equatable {
    public var accepted: Int
    public var duplicates: Int
    public var lastStep: Int
    public init(accepted: Int, duplicates: Int, lastStep: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.lastStep = lastStep
    }
}

/// The store could not be written or read (a full disk, a database that is down).
public struct StorageFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

public enum SubmitError: Error, Sendable {
    case invalid(SpecError)
    case queueFull
    /// The server is stopping: nothing more is started.
    case stopping
    /// The store could not be written: nothing was kept.
    case storage(String)
    /// The store cannot be reached (a database): nothing was kept.
    case unavailable(String)
}

public enum CommandError: Error, Sendable {
    case notFound, finished
    case storage(String)
}

public enum IngestError: Error, Sendable {
    case notFound, unauthorized, finished(JobMeta.Status)
    case invalid(SpecError)
    /// Record `record` of NDJSON (nil: the JSON array) is not JSON.
    case syntax(record: Int?, JSONSyntaxError)
    case storage(String)
    /// The store cannot be reached (nothing was stored): try again shortly.
    case unavailable(String)
    /// The store is behind: try again after this many seconds.
    case busy(retryAfter: Int)
}
