import ArgumentParser
import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeSpec

/// `gradscope bench`: step times of reference MLPs, with per-step statistics
/// on and off. Run from a release build. bench/pytorch_bench.py times the
/// same configurations in PyTorch the same way.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training steps of reference MLPs (64 inputs, 10 classes, ReLU, SGD with momentum).",
        discussion: """
            A configuration d{depth}-w{width}-b{batch} is 64 inputs → depth × (dense(width) → relu) → dense(10), \
            cross-entropy, SGD lr 0.01 momentum 0.9, kaiming_normal init. "stats" steps compute every per-layer \
            statistic and histogram, encode the step record as JSON and run the online detectors; the others \
            compute only the per-layer gradient norms. Each result is the median over --repeats runs of the mean step time of a run.
            """)

    @Option(help: "Comma-separated configurations d{depth}-w{width}-b{batch}.")
    var configs = "d4-w64-b64,d8-w256-b128,d4-w1024-b256"

    @Option(help: "Timed runs per configuration; the median is reported.")
    var repeats = 7

    @Option(help: "Steps per run (default: enough for about 0.3 s).")
    var steps: Int?

    @Option(help: "Untimed steps before the runs.")
    var warmup = 5

    @Option(help: "OpenBLAS threads.")
    var threads = 2

    @Flag(help: "Print JSON: {\"results\": [{\"config\", \"stats\", \"median_ms\", …}]}.")
    var json = false

    func run() throws {
        MatrixLibrary.setThreads(threads)
        if !json { print("OpenBLAS kernels: \(MatrixLibrary.coreName), \(threads) thread(s)") }
        var results: [(config: String, stats: Bool, median: Double, steps: Int)] = []
        for config in configs.split(separator: ",") {
            guard let (depth, width, batch) = Self.parse(String(config)) else {
                fail("--configs: \"\(config)\" is not of the form d{depth}-w{width}-b{batch}")
            }
            for stats in [false, true] {
                let (median, n) = try time(depth: depth, width: width, batch: batch, stats: stats)
                let name = "mlp-d\(depth)-w\(width)-b\(batch)"
                results.append((name, stats, median, n))
                if !json {
                    print(String(format: "%-20@ stats %-5@ %9.3f ms/step  (median of %d runs × %d steps)",
                                 name, stats ? "on" : "off", median, repeats, n))
                }
            }
        }
        if json {
            var w = JSONWriter()
            w.beginObject()
            w.beginArray("results")
            for r in results {
                w.beginObject()
                w.field("config", r.config)
                w.field("stats", r.stats)
                w.field("median_ms", r.median)
                w.field("steps_per_run", r.steps)
                w.field("threads", threads)
                w.field("engine", "gradscope")
                w.field("blas_core", MatrixLibrary.coreName)
                w.endObject()
            }
            w.endArray()
            w.endObject()
            print(w.text)
        } else {
            for i in stride(from: 0, to: results.count - 1, by: 2) where results[i].config == results[i + 1].config {
                print(String(format: "%-20@ statistics overhead %+.1f%%", results[i].config,
                             (results[i + 1].median / results[i].median - 1) * 100))
            }
        }
    }

    static func parse(_ s: String) -> (Int, Int, Int)? {
        let parts = s.trimmingCharacters(in: .whitespaces).split(separator: "-")
        guard parts.count == 3, parts[0].first == "d", parts[1].first == "w", parts[2].first == "b",
              let d = Int(parts[0].dropFirst()), let w = Int(parts[1].dropFirst()), let b = Int(parts[2].dropFirst()),
              d > 0, w > 0, b > 1 else { return nil }
        return (d, w, b)
    }

    /// Batches of Gaussian inputs with random labels cycled through, as in
    /// bench/pytorch_bench.py.
    static let pool = 64

    private func time(depth: Int, width: Int, batch: Int, stats: Bool) throws -> (Double, Int) {
        // The model and optimizer come from a spec, as a user's would. The
        // data has nothing to learn, so gradients keep their size (a net that
        // memorises its data drives them into float32 subnormals, which slow
        // every product several-fold). Every timed run starts from a fresh
        // model, as PyTorch's does.
        let spec = """
            {"data": {"source": "blobs", "samples": \(batch), "classes": 10, "features": 64},
             "mlp": {"depth": \(depth), "width": \(width), "activation": "relu", "init": "kaiming_normal"},
             "optimizer": {"type": "sgd", "lr": 0.01, "momentum": 0.9},
             "training": {"steps": \(JobSpec.maxSteps), "batch_size": \(batch), "shuffle": false},
             "diagnostics": {"every": \(stats ? 1 : JobSpec.maxSteps)}}
            """
        var random = Random(seed: 1, stream: .data)
        let rows = batch * Self.pool
        let noise = Dataset(
            features: 64, inputs: (0..<(rows * 64)).map { _ in Float(random.normal()) },
            targets: .labels((0..<rows).map { _ in Int32(random.below(10)) }, classes: 10))
        var sink = 0
        func run(_ trainer: Trainer, _ diagnosis: Diagnosis, _ n: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<n {
                for event in trainer.advance() {
                    guard stats else { continue }
                    if case .step(let r) = event { sink &+= RecordJSON.step(r).utf8.count }
                    sink &+= diagnosis.observe(event).count
                }
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(n)
        }
        func fresh() throws -> (Trainer, Diagnosis) {
            let job = try Job(spec: JobSpec.parse(Data(spec.utf8)))
            let t = job.trainer
            let trainer = Trainer(model: t.model, loss: t.loss, optimizer: t.optimizer.config, schedule: t.schedule,
                                  train: noise, validation: nil, config: t.config)
            let diagnosis = Diagnosis(facts: job.facts)
            _ = run(trainer, diagnosis, warmup)
            return (trainer, diagnosis)
        }
        let calibration = try fresh()
        let n = steps ?? max(5, Int(300 / max(run(calibration.0, calibration.1, 3), 0.01)))
        var times: [Double] = []
        for _ in 0..<repeats {
            let (trainer, diagnosis) = try fresh()
            times.append(run(trainer, diagnosis, n))
        }
        times.sort()
        if sink == -1 { print(sink) }
        return (times[times.count / 2], n)
    }
}
