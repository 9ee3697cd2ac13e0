import ArgumentParser
import Foundation
import GradscopeEngine
import GradscopeRun
import GradscopeSpec

/// `gradscope run SPEC.json`: trains and prints one JSON object per line.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train a job spec and print its records as JSON lines (start, step, alert, epoch, summary, report).")

    @Argument(help: "The job spec (JSON).")
    var spec: String

    @Option(help: "Write the final weights as a checkpoint to this file.")
    var checkpointOut: String?

    @Option(help: "Also write checkpoints after these steps (comma-separated), as <checkpoint-out stem>.step<N>.json.")
    var checkpointAt: String?

    @Option(help: "Start from this checkpoint instead of the spec's initialisation.")
    var initFrom: String?

    @Option(help: "Override the spec's seed.")
    var seed: UInt64?

    @Flag(help: "No progress bar, even on a terminal.")
    var quiet = false

    func run() throws {
        let specURL = URL(fileURLWithPath: spec)
        let checkpointSteps: Set<Int>
        do {
            checkpointSteps = try parseSteps(checkpointAt)
            if !checkpointSteps.isEmpty && checkpointOut == nil {
                throw CLIError("--checkpoint-at needs --checkpoint-out to name the files")
            }
            var parsed = try JobSpec.parse(readFile(spec))
            if let seed { parsed.seed = seed }
            let checkpoint = try initFrom.map { path throws(CLIError) in
                do { return try Checkpoint.read(path: path) } catch { throw CLIError("--init-from: \(error)") }
            }
            let job = try Job(spec: parsed, baseDirectory: specURL.deletingLastPathComponent().path, checkpoint: checkpoint)
            try train(job, checkpointSteps: checkpointSteps)
        } catch let error as SpecError {
            fail("\(spec): \(error)")
        } catch let error as CLIError {
            fail(error.message)
        }
    }

    private func train(_ job: Job, checkpointSteps: Set<Int>) throws(CLIError) {
        let run = JobRun(job: job)
        let trainer = job.trainer
        let progress = ProgressBar(total: trainer.totalSteps, enabled: !quiet && isatty(STDERR_FILENO) != 0)
        emit(run.startLine)
        while !run.isFinished {
            for line in run.advance() { emit(line) }
            progress.update(trainer.stepsDone, loss: trainer.lastLoss)
            if checkpointSteps.contains(trainer.stepsDone), let out = checkpointOut {
                try write(Checkpoint(model: trainer.model, step: trainer.stepsDone), to: stepPath(out, trainer.stepsDone))
            }
        }
        progress.finish()
        for line in run.finishLines() { emit(line) }
        if let out = checkpointOut { try write(Checkpoint(model: trainer.model, step: trainer.stepsDone), to: out) }
    }

    private func emit(_ line: String) { print(line) }

    private func write(_ checkpoint: Checkpoint, to path: String) throws(CLIError) {
        do { try checkpoint.encoded().write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CLIError("cannot write checkpoint \(path): \((error as NSError).localizedDescription)")
        }
    }

    private func stepPath(_ out: String, _ step: Int) -> String {
        let url = URL(fileURLWithPath: out)
        let stem = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).step\(step).json").path
    }

    private func parseSteps(_ list: String?) throws(CLIError) -> Set<Int> {
        guard let list else { return [] }
        var steps = Set<Int>()
        for part in list.split(separator: ",") {
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw CLIError("--checkpoint-at takes step numbers ≥ 1 separated by commas, got \"\(part)\"")
            }
            steps.insert(n)
        }
        return steps
    }
}

struct CLIError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

func readFile(_ path: String) throws(CLIError) -> Data {
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw CLIError("cannot read \(path): \(fileReadProblem(path, error))")
    }
}

/// One line on stderr and exit code 2: bad input is never a crash.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("gradscope: error: \(message)\n".utf8))
    exit(2)
}

/// A one-line progress bar on stderr, redrawn at most ten times a second.
final class ProgressBar {
    private let total: Int
    private let enabled: Bool
    private var lastDraw = DispatchTime.now().uptimeNanoseconds
    private let start = DispatchTime.now().uptimeNanoseconds

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(_ done: Int, loss: Double) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 || done == total else { return }
        lastDraw = now
        let width = 30, filled = total > 0 ? width * done / total : width
        let rate = Double(done) / max(Double(now - start) / 1e9, 1e-9)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %d/%d steps  loss %.4g  %.0f steps/s ", bar, done, total, loss, rate)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
