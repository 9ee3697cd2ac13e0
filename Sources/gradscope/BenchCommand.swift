import ArgumentParser
import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeRun
import GradscopeSpec

/// `gradscope bench`: step times of reference MLPs and recurrent nets, with
/// per-step statistics on and off. Run from a release build.
/// bench/pytorch_bench.py times the same configurations in PyTorch the same way.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training steps of reference MLPs and recurrent nets (SGD with momentum, random labels).",
        discussion: """
            A configuration d{depth}-w{width}-b{batch} is 64 inputs → depth × (dense(width) → relu) → dense(10), \
            cross-entropy, kaiming_normal init. {rnn|lstm|gru}-h{hidden}-t{steps}-b{batch} is sequences of t steps \
            of 6 features → the cell (tanh for rnn, PyTorch's default init) → its last step → dense(4), cross-entropy. \
            Both train with SGD lr 0.01 momentum 0.9 on Gaussian inputs with random labels. "stats" steps compute \
            every per-layer statistic and histogram (and for recurrent nets ‖∂L/∂h_t‖ and σ₁ of weight_hh), encode the \
            step record as JSON and run the online detectors; the others compute only the per-layer gradient norms. \
            Each result is the median over --repeats runs of the mean step time of a run.
            """)

    @Option(help: "Comma-separated configurations: d{depth}-w{width}-b{batch} or {rnn|lstm|gru}-h{hidden}-t{steps}-b{batch}.")
    var configs = "d4-w64-b64,d8-w256-b128,d4-w1024-b256,rnn-h128-t50-b32,lstm-h128-t50-b32"

    @Option(help: "Timed runs per configuration; the median is reported.")
    var repeats = 7

    @Option(help: "Steps per run (default: enough for about 0.3 s).")
    var steps: Int?

    @Option(help: "Untimed steps before the runs.")
    var warmup = 5

    @Option(help: "OpenBLAS threads.")
    var threads = 2

    @Option(help: "Which variants to time: both, on (statistics every step) or off.")
    var stats = "both"

    @Flag(help: "Print JSON: {\"results\": [{\"config\", \"stats\", \"median_ms\", …}]}.")
    var json = false

    func run() throws {
        guard ["both", "on", "off"].contains(stats) else { fail("--stats: \"\(stats)\" is not both, on or off") }
        MatrixLibrary.setThreads(threads)
        if !json { print("OpenBLAS kernels: \(MatrixLibrary.coreName), \(threads) thread(s)") }
        var results: [(config: String, stats: Bool, median: Double, steps: Int)] = []
        for text in configs.split(separator: ",") {
            guard let config = Config(String(text)) else {
                fail("--configs: \"\(text)\" is not of the form d{depth}-w{width}-b{batch} or {rnn|lstm|gru}-h{hidden}-t{steps}-b{batch}")
            }
            for stats in [false, true] where self.stats == "both" || (self.stats == "on") == stats {
                let (median, n) = try time(config, stats: stats)
                let name = config.name
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

    /// A benchmark network: its name, the spec's data and model, and the shape of its inputs.
    struct Config {
        var name: String
        var batch: Int
        var data: String, model: String
        var features: Int, classes: Int, sequenceLength: Int?

        init?(_ text: String) {
            let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-").map(String.init)
            guard parts.count == 4 || parts.count == 3 else { return nil }
            func number(_ part: String, _ prefix: Character) -> Int? {
                part.first == prefix ? Int(part.dropFirst()).flatMap { $0 > 0 ? $0 : nil } : nil
            }
            if parts.count == 3, let d = number(parts[0], "d"), let w = number(parts[1], "w"), let b = number(parts[2], "b"), b > 1 {
                name = "mlp-d\(d)-w\(w)-b\(b)"
                batch = b
                data = #"{"source": "blobs", "samples": \#(b), "classes": 10, "features": 64}"#
                model = #""mlp": {"depth": \#(d), "width": \#(w), "activation": "relu", "init": "kaiming_normal"}"#
                (features, classes, sequenceLength) = (64, 10, nil)
            } else if parts.count == 4, ["rnn", "lstm", "gru"].contains(parts[0]), let h = number(parts[1], "h"),
                      let t = number(parts[2], "t"), t >= 10, let b = number(parts[3], "b"), b > 1 {
                name = text
                batch = b
                data = #"{"source": "temporal_order", "samples": \#(b), "sequence_length": \#(t)}"#
                model = #""layers": [{"type": "\#(parts[0])", "hidden": \#(h)}, {"type": "dense", "units": 4}]"#
                (features, classes, sequenceLength) = (6 * t, 4, t)
            } else {
                return nil
            }
        }
    }

    /// Batches of Gaussian inputs with random labels cycled through, as in
    /// bench/pytorch_bench.py.
    static let pool = 64

    private func time(_ config: Config, stats: Bool) throws -> (Double, Int) {
        // The model and optimizer come from a spec, as a user's would. The
        // data has nothing to learn, so gradients keep their size (a net that
        // memorises its data drives them into float32 subnormals, which slow
        // every product several-fold). Every timed run starts from a fresh
        // model, as PyTorch's does.
        let spec = """
            {"data": \(config.data), \(config.model),
             "optimizer": {"type": "sgd", "lr": 0.01, "momentum": 0.9},
             "training": {"steps": \(JobSpec.maxSteps), "batch_size": \(config.batch), "shuffle": false},
             "diagnostics": {"every": \(stats ? 1 : JobSpec.maxSteps)}}
            """
        var random = Random(seed: 1, stream: .data)
        let rows = config.batch * Self.pool, f = config.features
        let noise = Dataset(
            features: f, inputs: (0..<(rows * f)).map { _ in Float(random.normal()) },
            targets: .labels((0..<rows).map { _ in Int32(random.below(config.classes)) }, classes: config.classes),
            sequenceLength: config.sequenceLength)
        var sink = 0
        func run(_ trainer: Trainer, _ diagnosis: Diagnosis, _ n: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<n {
                for event in trainer.advance() {
                    guard stats else { continue }
                    if case .step(let r) = event { sink &+= r.json().utf8.count }
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
