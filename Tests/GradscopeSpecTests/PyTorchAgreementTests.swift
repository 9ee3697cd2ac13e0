import Foundation
import Testing
@testable import GradscopeEngine
@testable import GradscopeRun
@testable import GradscopeSpec

/// Replays the fixtures written by Tests/Fixtures/pytorch/make_fixtures.py:
/// the same initial weights and batches, trained by PyTorch for a few steps.
/// Loss, per-layer and per-tensor gradient norms and the final weights must
/// agree to float32 precision.
struct PyTorchAgreementTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/pytorch")

    /// Every fixture; clip_*.json ones apply `clip_grad_norm_` or
    /// `clip_grad_value_` between backward and the step.
    static let cases: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted()
    }()

    @Test func fixturesArePresent() {
        #expect(Self.cases.count >= 10)
        #expect(Self.cases.filter { $0.hasPrefix("clip_") }.count >= 4)
        for cell in ["rnn", "lstm", "gru"] { #expect(Self.cases.contains { $0.hasPrefix(cell) }) }
    }

    @Test(arguments: cases)
    func trainingMatchesPyTorch(_ file: String) throws {
        let fixture = try Fixture(Self.directory.appendingPathComponent(file))
        let trainer = fixture.trainer
        var records: [StepRecord] = []
        while !trainer.isFinished {
            for case .step(let r) in trainer.advance() { records.append(r) }
        }
        #expect(records.count == fixture.steps.count)
        for (i, (record, expected)) in zip(records, fixture.steps).enumerated() {
            if let post = expected.postClip {
                #expect(close(record.gradNormClipped, post, rtol: 1e-4, atol: 1e-6),
                        "\(file) step \(i + 1): clipped norm \(record.gradNormClipped) vs PyTorch \(post)")
            }
            if let pre = expected.preClip, fixture.clipsByL2 {
                #expect(close(record.gradNorm, pre, rtol: 1e-4, atol: 1e-6), "\(file) step \(i + 1): pre-clip norm")
            }
            // Recurrent layers: ‖∂L/∂h_t‖ for every stacked layer and step, and σ₁ of weight_hh.
            #expect(Set(record.recurrent.map(\.layer)) == Set(expected.hiddenGradNorms.keys))
            for signal in record.recurrent {
                let profile = try #require(expected.hiddenGradNorms[signal.layer]?[signal.sublayer])
                #expect(signal.hiddenGradNorms.count == profile.count)
                for (t, (got, want)) in zip(signal.hiddenGradNorms, profile).enumerated() {
                    #expect(close(got, want, rtol: 1e-4, atol: 1e-7),
                            "\(file) step \(i + 1) \(signal.layer) l\(signal.sublayer) t=\(t + 1): ‖∂L/∂h_t‖ \(got) vs \(want)")
                }
                let sigma = try #require(expected.spectralNorms[signal.layer]?[signal.sublayer])
                #expect(close(signal.spectralNorm, sigma, rtol: 1e-3, atol: 0),
                        "\(file) step \(i + 1) \(signal.layer): σ₁ \(signal.spectralNorm) vs \(sigma)")
            }
            let lossOK = close(record.loss, expected.loss, rtol: 2e-5, atol: 1e-6)
            #expect(lossOK, "\(file) step \(i + 1): loss \(record.loss) vs PyTorch \(expected.loss)")
            for layer in record.layers {
                let want = try #require(expected.layerNorms[layer.name], "\(file): no PyTorch norm for \(layer.name)")
                #expect(close(layer.gradNorm, want, rtol: 1e-4, atol: 2e-6),
                        "\(file) step \(i + 1) \(layer.name): grad norm \(layer.gradNorm) vs \(want)")
                for p in layer.params {
                    let key = "\(layer.name).\(p.name)"
                    let want = try #require(expected.paramNorms[key])
                    // A bias right before train-mode BatchNorm has a true gradient of 0;
                    // PyTorch stores rounding noise up to ~1e-6 there.
                    #expect(close(p.gradNorm, want, rtol: 1e-4, atol: 2e-6),
                            "\(file) step \(i + 1) \(key): grad norm \(p.gradNorm) vs \(want)")
                }
            }
        }
        let state = Dictionary(uniqueKeysWithValues: trainer.model.stateDict.map { ($0.name, $0.tensor.array) })
        #expect(Set(state.keys) == Set(fixture.final.keys))
        for (name, want) in fixture.final {
            let got = try #require(state[name])
            let worst = scaledError(got, want.data)
            #expect(worst <= 1, "\(file) \(name): final weights differ (worst scaled error \(worst)) — got \(got.prefix(4)) want \(want.data.prefix(4))")
        }
    }
}

/// max |a − b| / (1e-5 + 1e-4·|b|): ≤ 1 means equal to float32 precision after a few steps.
func scaledError(_ a: [Float], _ b: [Float]) -> Double {
    var worst = 0.0
    for (x, y) in zip(a, b) {
        let d = abs(Double(x) - Double(y)) / (1e-5 + 1e-4 * abs(Double(y)))
        worst = max(worst, d)
    }
    return worst
}

func close(_ a: Double, _ b: Double, rtol: Double, atol: Double) -> Bool {
    abs(a - b) <= atol + rtol * abs(b)
}

/// One fixture file made runnable: the model from its layer specs and
/// checkpoint, a dataset whose consecutive batches are the fixture's batches.
struct Fixture {
    struct Step {
        var loss: Double
        var layerNorms: [String: Double]
        var paramNorms: [String: Double]
        var preClip: Double?, postClip: Double?
        /// Recurrent layers: per layer, per stacked layer, ‖∂L/∂h_t‖ for t = 1…T; σ₁ of each weight_hh.
        var hiddenGradNorms: [String: [[Double]]] = [:]
        var spectralNorms: [String: [Double]] = [:]
    }
    /// True when the fixture's pre-clip norm is an L2 norm (every case but norm_type inf).
    let clipsByL2: Bool
    let trainer: Trainer
    let steps: [Step]
    let final: [String: (shape: [Int], data: [Float])]
    let json: JSONValue

    init(_ url: URL) throws {
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        self.json = json
        guard case .number(let inputDim) = json["input_dim"], case .array(let layerItems) = json["layers"],
              case .string(let lossName) = json["loss"], let loss = Loss(rawValue: lossName),
              case .array(let batches) = json["batches"], case .array(let stepItems) = json["steps"]
        else { throw SpecError("fixture", "is malformed") }

        let specs = try layerItems.enumerated().map { i, item throws(SpecError) in
            try LayerSpec.read(item, path: "layers[\(i)]")
        }
        var builder = ModelBuilder(random: Random(seed: 0))
        var sequenceLength: Int?
        if case .number(let t) = json["sequence_length"] { sequenceLength = Int(t) }
        let (layers, width) = try builder.build(specs, input: FlowShape(width: Int(inputDim), steps: sequenceLength), path: "layers")
        let model = Model(layers: layers, inputWidth: Int(inputDim), outputWidth: width)
        let checkpoint = try Checkpoint.decode(json: json["checkpoint"]!)
        try model.load(checkpoint.tensors)
        final = try Checkpoint.decode(json: JSONValue.object([
            "format": .string("gradscope-checkpoint"), "version": .number(1), "tensors": json["final"]!,
        ])).tensors

        var o = try ObjectReader(json["optimizer"]!, path: "optimizer")
        let optimizer = try OptimizerSpec.read(&o)
        var clip = ClipConfig.none
        if let c = json["clip"] {
            var reader = try ObjectReader(c, path: "clip")
            clip = try ClipSpec.read(&reader).0
        }
        clipsByL2 = json["clip"]?["norm_type"] != .string("inf")

        var x: [Float] = [], labels: [Int32] = [], values: [Float] = []
        var batchSize = 0
        for batch in batches {
            guard case .array(let rows) = batch["x"], case .array(let ys) = batch["y"] else { continue }
            batchSize = rows.count
            for row in rows { x += Self.numbers(row) }
            for y in ys {
                if case .number(let label) = y { labels.append(Int32(label)) } else { values += Self.numbers(y) }
            }
        }
        let targets: Targets = labels.isEmpty ? .values(values, width: width) : .labels(labels, classes: width)
        let data = Dataset(features: Int(inputDim), inputs: x, targets: targets, sequenceLength: sequenceLength)
        trainer = Trainer(
            model: model, loss: loss, optimizer: optimizer.config, schedule: Schedule(baseLR: optimizer.lr),
            train: data, validation: nil,
            config: TrainingConfig(batchSize: batchSize, shuffle: false, steps: batches.count, every: 1, clip: clip))
        steps = stepItems.map { item in
            guard case .number(let l) = item["loss"] else {
                return Step(loss: .nan, layerNorms: [:], paramNorms: [:], preClip: nil, postClip: nil)
            }
            func number(_ key: String) -> Double? { if case .number(let d)? = item[key] { d } else { nil } }
            var step = Step(loss: l, layerNorms: Self.map(item["layer_grad_norms"]), paramNorms: Self.map(item["param_grad_norms"]),
                            preClip: number("grad_norm_pre_clip"), postClip: number("grad_norm_post_clip"))
            if case .object(let profiles)? = item["hidden_grad_norms"], case .object(let sigmas)? = item["spectral_norms"] {
                step.hiddenGradNorms = profiles.mapValues { v in
                    guard case .array(let layers) = v else { return [] }
                    return layers.map { Self.doubles($0) }
                }
                step.spectralNorms = sigmas.mapValues { v in Self.doubles(v) }
            }
            return step
        }
    }

    static func doubles(_ v: JSONValue) -> [Double] {
        guard case .array(let a) = v else { return [] }
        return a.compactMap { if case .number(let d) = $0 { d } else { nil } }
    }

    static func numbers(_ v: JSONValue) -> [Float] {
        guard case .array(let a) = v else { return [] }
        return a.compactMap { if case .number(let d) = $0 { Float(d) } else { nil } }
    }

    static func map(_ v: JSONValue?) -> [String: Double] {
        guard case .object(let o) = v else { return [:] }
        return o.compactMapValues { if case .number(let d) = $0 { d } else { nil } }
    }
}
