import Foundation
import Testing
@testable import GradscopeEngine
@testable import GradscopeRun
@testable import GradscopeSpec

/// Whole runs: what `gradscope run` prints, checkpoints, the examples.
struct RunTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func lines(_ job: Job) -> [String] {
        var out = [StartRecord(job: job).json]
        while !job.trainer.isFinished {
            for event in job.trainer.advance() {
                switch event {
                case .step(let r): out.append(r.json())
                case .epoch(let e): out.append(e.json)
                case .pulse, .nonfinite: break
                }
            }
        }
        out.append(SummaryRecord(job: job).json)
        return out
    }

    static func firstRecord(_ t: Trainer) -> StepRecord? {
        for case .step(let r) in t.advance() { return r }
        return nil
    }

    static func job(_ json: String, checkpoint: Checkpoint? = nil) throws -> Job {
        try Job(spec: JobSpec.parse(Data(json.utf8)), checkpoint: checkpoint)
    }

    static let small = """
        {"seed": 7, "data": {"source": "moons", "samples": 200, "noise": 0.2},
         "mlp": {"depth": 3, "width": 16, "activation": "tanh", "batchnorm": true, "dropout": 0.1, "init": "xavier_normal"},
         "optimizer": {"type": "adam", "lr": 0.01},
         "schedule": {"type": "cosine", "t_max": 30, "warmup_steps": 5},
         "training": {"epochs": 4, "batch_size": 32, "validation_split": 0.25}, "diagnostics": {"every": 3}}
        """

    @Test func sameSpecAndSeedGiveIdenticalOutput() throws {
        let a = Self.lines(try Self.job(Self.small)), b = Self.lines(try Self.job(Self.small))
        #expect(a == b)
        let other = Self.lines(try Self.job(Self.small.replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": 8")))
        #expect(a != other)
    }

    @Test func recordsFollowTheDocumentedSchema() throws {
        let lines = Self.lines(try Self.job(Self.small))
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.first?["type"] as? String == "start")
        #expect(objects.last?["type"] as? String == "summary")
        let steps = objects.filter { $0["type"] as? String == "step" }
        // 150 train rows / 32 = 5 batches × 4 epochs = 20 steps; recorded: 1, 3, 6, …, 18, 20.
        #expect(steps.map { $0["step"] as! Int } == [1, 3, 6, 9, 12, 15, 18, 20])
        #expect(objects.filter { $0["type"] as? String == "epoch" }.count == 4)
        let first = steps[0]
        let layers = first["layers"] as! [[String: Any]]
        #expect(layers.map { $0["name"] as! String } == ["dense0", "batchnorm1", "dense4", "batchnorm5", "dense8", "batchnorm9", "dense12"])
        for layer in layers {
            let hist = layer["hist"] as! [String: Any]
            #expect((hist["counts"] as! [Int]).count == 64)
            for key in ["grad_norm", "max_abs", "mean_abs", "zero_fraction", "nan", "inf", "weight_norm", "update_norm", "update_ratio", "params"] {
                #expect(layer[key] != nil, "missing \(key)")
            }
        }
        let signals = first["signals"] as! [[String: Any]]
        #expect(signals.count == 13)
        #expect(signals.first { $0["kind"] as? String == "tanh" }?["saturated_fraction"] != nil)
        // lr after 0 updates with a 5-step warm-up starting at 1/3.
        #expect(abs((first["lr"] as! Double) - 0.01 / 3) < 1e-9)  // written at float32 precision
        let epoch = objects.first { $0["type"] as? String == "epoch" }!
        #expect(epoch["val_loss"] is Double && epoch["val_accuracy"] is Double)
    }

    /// The layer norms in a record equal the norm of that layer's gradient,
    /// and the global norm the norm over all layers.
    @Test func recordedNormsAreTheGradientsNorms() throws {
        let job = try Self.job(Self.small)
        guard let r = Self.firstRecord(job.trainer) else { Issue.record("no record"); return }
        let total = r.layers.map { $0.gradNorm * $0.gradNorm }.reduce(0, +).squareRoot()
        #expect(abs(total - r.gradNorm) < 1e-9 * r.gradNorm)
        for layer in r.layers {
            let perTensor = layer.params.map { $0.gradNorm * $0.gradNorm }.reduce(0, +).squareRoot()
            #expect(abs(perTensor - layer.gradNorm) <= 1e-9 * layer.gradNorm)
            #expect(layer.histogram.total == layer.params.map(\.count).reduce(0, +))
            #expect(abs((layer.updateRatio ?? .nan) - layer.updateNorm / layer.weightNorm) < 1e-12)
        }
    }

    @Test func checkpointRoundTripsAndResumesIdentically() throws {
        let job = try Self.job(Self.small)
        for _ in 0..<7 { _ = job.trainer.advance() }
        let saved = Checkpoint(model: job.model, step: 7)
        let text = saved.encoded()
        let decoded = try Checkpoint.decode(Data(text.utf8))
        #expect(decoded.step == 7)
        #expect(decoded.order.sorted() == saved.order.sorted())
        for name in saved.order { #expect(decoded.tensors[name]!.data == saved.tensors[name]!.data, "\(name) changed") }
        #expect(saved.order.contains("batchnorm1.running_var") && saved.order.contains("dense0.weight"))
        #expect(decoded.tensors["dense0.weight"]!.shape == [16, 2])
        #expect(decoded.tensors["batchnorm1.num_batches_tracked"]!.data == [7])

        // A new job started from the checkpoint has exactly the saved weights.
        let resumed = try Self.job(Self.small, checkpoint: decoded)
        for (name, tensor) in resumed.model.stateDict { #expect(tensor.array == saved.tensors[name]!.data) }
    }

    @Test func checkpointThatDoesNotFitIsRefusedByName() throws {
        let job = try Self.job(Self.small)
        var c = Checkpoint(model: job.model)
        c.tensors["dense0.weight"] = (shape: [16, 3], data: [Float](repeating: 0, count: 48))
        #expect(throws: SpecError("init_from", #"does not fit the model: the checkpoint's tensor "dense0.weight" has shape [16, 3], the model needs [16, 2]"#)) {
            try Self.job(Self.small, checkpoint: c)
        }
        var missing = Checkpoint(model: job.model)
        missing.tensors["dense0.bias"] = nil
        #expect(throws: SpecError("init_from", #"does not fit the model: the checkpoint has no tensor "dense0.bias", which this model needs"#)) {
            try Self.job(Self.small, checkpoint: missing)
        }
        #expect(throws: Checkpoint.ReadError.self) { try Checkpoint.decode(Data(#"{"format": "other", "version": 1, "tensors": {}}"#.utf8)) }
        // A shape whose size overflows is an error, not a trap.
        let huge = #"{"format": "\#(Checkpoint.format)", "version": 1, "tensors": {"w": {"shape": [4000000000000000, 4000000000000000], "data": [1]}}}"#
        #expect(throws: Checkpoint.ReadError.self) { try Checkpoint.decode(Data(huge.utf8)) }
    }

    @Test func csvSpecTrainsFromAFileBesideTheSpec() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradscope-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var csv = "x1,x2,label\n"
        var r = Random(seed: 1)
        for _ in 0..<60 { let a = r.uniform(-1, 1), b = r.uniform(-1, 1); csv += "\(a),\(b),\(a + b > 0 ? 1 : 0)\n" }
        try csv.write(to: dir.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
        let spec = try JobSpec.parse(Data("""
            {"data": {"source": "csv", "path": "train.csv", "target": "label", "standardize": true},
             "mlp": {"depth": 1, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.5},
             "training": {"epochs": 30, "batch_size": 20}}
            """.utf8))
        let job = try Job(spec: spec, baseDirectory: dir.path)
        while !job.trainer.isFinished { _ = job.trainer.advance() }
        #expect(job.trainer.lastEpoch!.trainAccuracy! > 0.9)
    }

    @Test func digitsSpecLearns() throws {
        let job = try Self.job("""
            {"data": {"source": "digits"}, "mlp": {"depth": 1, "width": 32, "init": "kaiming_uniform"},
             "optimizer": {"type": "adam", "lr": 0.01}, "training": {"epochs": 3, "batch_size": 64, "validation_split": 0.2},
             "diagnostics": {"every": 100}}
            """)
        while !job.trainer.isFinished { _ = job.trainer.advance() }
        #expect(job.trainer.lastEpoch!.validationAccuracy! > 0.85)
    }

    /// The three examples show the three regimes in their first step's
    /// per-layer gradient norms and backward signal.
    @Test func examplesShowHealthyVanishingAndExplodingGradients() throws {
        func firstRecord(_ name: String) throws -> StepRecord {
            let url = Self.root.appendingPathComponent("examples/\(name).json")
            let job = try Job(spec: JobSpec.parse(Data(contentsOf: url)), baseDirectory: url.deletingLastPathComponent().path)
            guard let r = Self.firstRecord(job.trainer) else { throw SpecError(name, "no record") }
            return r
        }
        let healthy = try firstRecord("healthy"), vanishing = try firstRecord("vanishing"), exploding = try firstRecord("exploding")
        func ratio(_ r: StepRecord) -> Double { r.layers.first!.gradNorm / r.layers.last!.gradNorm }
        #expect(ratio(healthy) > 0.1 && ratio(healthy) < 10)
        #expect(ratio(vanishing) < 1e-9)
        #expect(exploding.gradNorm > 1e3 * healthy.gradNorm)
        // Exploding δ grows towards the input by orders of magnitude.
        let deltas = exploding.signals.filter { $0.kind == .dense }.map(\.deltaRMS)
        #expect(deltas.first! > 1e3 * deltas.last!)
    }
}
