import Foundation
import Testing
@testable import GradscopeRun
@testable import GradscopeSpec
import GradscopeEngine

/// Bad specs and the exact message each gets. The message names the field
/// and says what is accepted.
struct SpecValidationTests {
    static let data = #""data": {"source": "spirals", "samples": 100}"#
    static let mlp = #""mlp": {"depth": 2, "width": 8}"#
    static let sgd = #""optimizer": {"type": "sgd", "lr": 0.1}"#

    static func spec(_ parts: String...) -> String { "{" + parts.joined(separator: ",") + "}" }

    static let table: [(String, String)] = [
        ("{", "the spec is not valid JSON: unexpected end of the document at byte 1"),
        ("[1]", "the spec must be an object, got an array"),
        (spec(data, mlp, sgd, #""epochs": 3"#),
         "epochs is not a field of the spec (fields: name, seed, data, mlp, layers, loss, optimizer, schedule, clip, training, diagnostics, init_from)"),
        (spec(mlp, sgd), #"data is required, e.g. {"source": "spirals"}"#),
        (spec(data, sgd), "mlp or layers is required to describe the model"),
        (spec(data, mlp), #"optimizer is required, e.g. {"type": "sgd", "lr": 0.1}"#),
        (spec(data, mlp, #""optimizer": {"type": "sgd", "lr": -1}"#), "optimizer.lr must be a finite number > 0, got -1"),
        (spec(data, mlp, #""optimizer": {"type": "sgd", "lr": "0.1"}"#), "optimizer.lr must be a finite number, got a string"),
        (spec(data, mlp, #""optimizer": {"type": "sgd"}"#), "optimizer.lr is required for sgd"),
        (spec(data, mlp, #""optimizer": {"type": "adam", "momentum": 0.9}"#),
         "optimizer.momentum is not a field of an adam optimizer (fields: type, lr, betas, eps, weight_decay, amsgrad)"),
        (spec(data, mlp, #""optimizer": {"type": "sgd", "lr": 0.1, "nesterov": true}"#),
         "optimizer.nesterov requires momentum > 0 and dampening 0 (as PyTorch)"),
        (spec(data, mlp, #""optimizer": {"type": "lbfgs"}"#),
         #"optimizer.type must be one of "sgd", "adam", "adamw", "rmsprop", got "lbfgs""#),
        (spec(data, mlp, #""optimizer": {"type": "adam", "betas": [0.9]}"#), "optimizer.betas must be two numbers [beta1, beta2]"),
        (spec(data, mlp, #""optimizer": {"type": "adam", "betas": [0.9, 1.0]}"#), "optimizer.betas[1] must be in [0, 1), got 1"),
        (spec(#""data": {"source": "mnist"}"#, mlp, sgd),
         #"data.source must be one of "spirals", "moons", "circles", "blobs", "xor", "sine", "digits", "csv", "dataset", "adding", "temporal_order", "memory", "digits_rows", got "mnist""#),
        (spec(#""data": {"source": "moons", "classes": 3}"#, mlp, sgd),
         #"data.classes does not apply to source "moons" (it takes samples, noise)"#),
        (spec(#""data": {"source": "spirals", "samples": 1e9}"#, mlp, sgd),
         "data.samples must be a whole number from 4 to 1000000, got 1000000000"),
        (spec(#""data": {"source": "spirals", "samples": 10.5}"#, mlp, sgd), "data.samples must be a whole number, got 10.5"),
        (spec(#""data": {"source": "csv", "path": "x.csv"}"#, mlp, sgd),
         #"data.target is required for source "csv" (the target column's name)"#),
        (spec(data, #""mlp": {"depth": 2}"#, sgd), "mlp.width is required (units per hidden layer)"),
        (spec(data, #""mlp": {"depth": 0, "width": 8}"#, sgd), "mlp.depth must be a whole number from 1 to 1000, got 0"),
        (spec(data, #""mlp": {"depth": 2, "width": 8, "activation": "swish"}"#, sgd),
         #"mlp.activation must be one of "identity", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus", got "swish""#),
        (spec(data, #""mlp": {"depth": 2, "width": 8, "init": "xavier_uniform", "std": 1}"#, sgd),
         #"mlp.std does not apply to init "xavier_uniform" (it takes gain)"#),
        (spec(data, #""mlp": {"depth": 2, "width": 8, "bias_init": "constant"}"#, sgd),
         #"mlp.bias_value is required with bias_init "constant""#),
        (spec(data, #""mlp": {"depth": 2, "width": 8, "init": "normal", "std": -1}"#, sgd),
         "mlp.std must be a finite number ≥ 0, got -1"),
        (spec(data, mlp, #""layers": [{"type": "dense", "units": 3}]"#, sgd), "layers cannot be given together with mlp; use one of them"),
        (spec(data, #""layers": [{"type": "dense"}]"#, sgd), "layers[0].units is required for a dense layer"),
        (spec(data, #""layers": [{"units": 3}]"#, sgd),
         "layers[0].type is required (one of dense, batchnorm, layernorm, dropout, residual, rnn, lstm, gru, identity, relu, leaky_relu, elu, gelu, sigmoid, tanh, softplus)"),
        (spec(data, #""layers": [{"type": "relu", "units": 3}]"#, sgd), "layers[0].units is not a field of a relu layer (fields: type, name)"),
        (spec(data, #""layers": [{"type": "dropout", "p": 1.5}, {"type": "dense", "units": 3}]"#, sgd),
         "layers[0].p must be in [0, 1], got 1.5"),
        (spec(data, #""layers": [{"type": "residual", "layers": [{"type": "dense", "unit": 4}]}]"#, sgd),
         "layers[0].layers[0].unit is not a field of a dense layer (fields: type, name, units, bias, init, mean, std, a, gain, value, mode, nonlinearity, bias_init, bias_mean, bias_std, bias_a, bias_value)"),
        (spec(data, #""layers": [{"type": "dense", "units": 3, "name": "a.b"}]"#, sgd),
         #"layers[0].name must be non-empty, without dots or spaces, got "a.b""#),
        (spec(data, mlp, sgd, #""training": {"epochs": 2, "steps": 10}"#), "training.steps cannot be given together with training.epochs"),
        (spec(data, mlp, sgd, #""training": {"batch_size": 0}"#), "training.batch_size must be a whole number from 1 to 65536, got 0"),
        (spec(data, mlp, sgd, #""training": {"validation_split": 1}"#), "training.validation_split must be in [0, 1), got 1"),
        (spec(data, mlp, sgd, #""training": {"shuffle": 1}"#), "training.shuffle must be true or false, got a number"),
        (spec(data, mlp, sgd, #""diagnostics": {"every": 0}"#), "diagnostics.every must be a whole number from 1 to 10000000, got 0"),
        (spec(data, mlp, sgd, #""diagnostics": {"hist_min": 1, "hist_max": 0.5}"#),
         "diagnostics.hist_max must be greater than diagnostics.hist_min, got 0.5"),
        (spec(data, mlp, sgd, #""schedule": {"type": "step"}"#), "schedule.step_size is required for a step schedule"),
        (spec(data, mlp, sgd, #""schedule": {"type": "cosine", "gamma": 0.5, "t_max": 10}"#),
         "schedule.gamma is not a field of a cosine schedule (fields: type, warmup_steps, warmup_start_factor, t_max, eta_min)"),
        (spec(data, mlp, sgd, #""loss": "hinge""#), #"loss must be one of "cross_entropy", "mse", "bce_with_logits", got "hinge""#),
        (spec(data, mlp, sgd, #""seed": -1"#), "seed must be a whole number from 0 to 2^53, got -1"),
        // Recurrent layers and sequence data.
        (spec(seq, #""layers": [{"type": "rnn"}]"#, sgd), "layers[0].hidden is required for an rnn layer (the hidden state's size)"),
        (spec(seq, #""layers": [{"type": "rnn", "hidden": 8, "nonlinearity": "sigmoid"}]"#, sgd),
         #"layers[0].nonlinearity must be one of "tanh", "relu", got "sigmoid""#),
        (spec(seq, #""layers": [{"type": "gru", "hidden": 8, "tbptt": 0}]"#, sgd), "layers[0].tbptt must be a whole number from 1 to 10000, got 0"),
        (spec(seq, #""layers": [{"type": "lstm", "hidden": 8, "num_layers": 17}]"#, sgd),
         "layers[0].num_layers must be a whole number from 1 to 16, got 17"),
        (spec(seq, #""layers": [{"type": "rnn", "hidden": 8, "recurrent_std": 0.1}]"#, sgd),
         #"layers[0].recurrent_std applies only to recurrent_init "normal""#),
        (spec(seq, #""layers": [{"type": "gru", "hidden": 8, "forget_bias": 1}]"#, sgd),
         "layers[0].forget_bias is not a field of a gru layer (fields: type, name, hidden, num_layers, return_sequences, tbptt, bias, recurrent_init, recurrent_std, recurrent_scale, init, mean, std, a, gain, value, mode, bias_init, bias_mean, bias_std, bias_a, bias_value)"),
        (spec(#""data": {"source": "adding", "sequence_length": 5}"#, sgd, #""layers": [{"type": "rnn", "hidden": 8}]"#),
         "data.sequence_length must be a whole number from 10 to 10000, got 5"),
        (spec(#""data": {"source": "memory", "sequence_length": 1}"#, sgd, #""layers": [{"type": "rnn", "hidden": 8}]"#),
         "data.sequence_length must be a whole number from 2 to 10000, got 1"),
        (spec(#""data": {"source": "spirals", "sequence_length": 5}"#, mlp, sgd),
         #"data.sequence_length does not apply to source "spirals" (it takes samples, classes, noise)"#),
    ]

    static let seq = #""data": {"source": "adding", "samples": 64, "sequence_length": 12}"#

    @Test(arguments: table)
    func rejectsBadSpecWithAMessageNamingTheField(json: String, message: String) {
        do {
            _ = try JobSpec.parse(Data(json.utf8))
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description == message)
        }
    }

    /// Specs that parse but cannot be built against their data.
    static let buildTable: [(String, String)] = [
        (spec(data, #""layers": [{"type": "dense", "units": 4}]"#, sgd),
         "layers the last layer outputs 4 values but cross_entropy on this data needs 3 (3 classes); set the last dense layer's units to 3"),
        (spec(data, mlp, sgd, #""loss": "mse""#),
         #"loss "mse" needs a real-valued target, but the data has class labels; use "cross_entropy""#),
        (spec(#""data": {"source": "sine"}"#, mlp, sgd, #""loss": "cross_entropy""#),
         #"loss "cross_entropy" needs class labels, but the data's target is real-valued; use "mse""#),
        (spec(data, mlp, sgd, #""loss": "bce_with_logits""#),
         #"loss "bce_with_logits" needs 2 classes, the data has 3; use "cross_entropy""#),
        (spec(data, #""mlp": {"depth": 20, "width": 4000}"#, sgd), "mlp has 304100003 parameters, more than the limit of 50000000"),
        (spec(data, #""layers": [{"type": "dense", "units": 3, "name": "x"}, {"type": "dense", "units": 3, "name": "x"}]"#, sgd),
         #"layers[1].name "x" is used twice; layer names must be unique"#),
        (spec(#""data": {"source": "csv", "path": "/nonexistent.csv", "target": "y"}"#, mlp, sgd),
         "data.path could not be loaded: cannot read /nonexistent.csv: no such file"),
        (spec(data, #""mlp": {"depth": 2, "width": 8, "batchnorm": true}"#, sgd, #""training": {"batch_size": 1}"#),
         "training.batch_size must be at least 2 with batchnorm, which normalises over the batch"),
        (spec(data, mlp, sgd, #""init_from": "/nonexistent.json""#),
         "init_from cannot read the checkpoint: /nonexistent.json: no such file"),
        (spec(#""data": {"source": "memory", "sequence_length": 10000, "features": 10000}"#, sgd,
              #""layers": [{"type": "rnn", "hidden": 8}, {"type": "dense", "units": 2}]"#),
         "data would generate 100000000000 input values (samples × values per row), more than the limit of 50000000; "
            + "use fewer samples or shorter sequences"),
        (spec(#""data": {"source": "adding", "samples": 2048, "sequence_length": 10000}"#, sgd,
              #""layers": [{"type": "lstm", "hidden": 1024}, {"type": "dense", "units": 1}]"#, #""training": {"batch_size": 1024}"#),
         "training.batch_size of 1024 would keep about 122882050 values per row for the backward pass, more than the limit of "
            + "400000000 per batch; use a smaller batch, narrower layers or shorter sequences"),
        (spec(data, #""layers": [{"type": "lstm", "hidden": 4}, {"type": "dense", "units": 3}]"#, sgd),
         "layers[0] an lstm layer needs sequence input: a sequence dataset (adding, temporal_order, memory, digits_rows), "
            + "csv with sequence_length, or a recurrent layer before it with return_sequences true"),
        (spec(seq, #""layers": [{"type": "rnn", "hidden": 4, "return_sequences": true}, {"type": "batchnorm"}, {"type": "dense", "units": 1}]"#, sgd),
         "layers[1] a batchnorm layer needs flat features, not a sequence; put it after the last recurrent layer "
            + "(return_sequences false) or after a dense layer"),
    ]

    /// A CSV read as sequences: T must divide its feature columns.
    @Test func csvSequenceLengthMustDivideTheColumns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradscope-seq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 6 feature columns: 3 steps of 2 features, or 2 of 3, but not 4 of anything.
        var csv = "a1,b1,a2,b2,a3,b3,y\n"
        for i in 0..<20 { csv += (0..<6).map { String(Double(i * 6 + $0) / 100) }.joined(separator: ",") + ",\(i % 2)\n" }
        try csv.write(to: dir.appendingPathComponent("seq.csv"), atomically: true, encoding: .utf8)
        func job(_ t: Int) throws -> Job {
            try Job(spec: JobSpec.parse(Data(Self.spec(#""data": {"source": "csv", "path": "seq.csv", "target": "y", "sequence_length": \#(t)}"#,
                #""layers": [{"type": "gru", "hidden": 4}, {"type": "dense", "units": 2}]"#, Self.sgd).utf8)),
                baseDirectory: dir.path)
        }
        let gru = try #require(try job(3).model.layers.first as? GradscopeEngine.Recurrent)
        #expect(gru.inputWidth == 2)
        #expect((try job(2).model.layers.first as? GradscopeEngine.Recurrent)?.inputWidth == 3)
        #expect(throws: SpecError.self) { try job(4) }
        do { _ = try job(4) } catch let error as SpecError {
            #expect(error.description == "data.sequence_length is 4, but the table has 6 feature columns, not a multiple of it "
                + "(each row must hold T steps of the same number of features)")
        }
    }

    @Test(arguments: buildTable)
    func rejectsSpecThatDoesNotFitItsData(json: String, message: String) throws {
        let spec = try JobSpec.parse(Data(json.utf8))
        do {
            _ = try Job(spec: spec)
            Issue.record("built: \(json)")
        } catch {
            #expect(error.description == message)
        }
    }

    /// Bytes that are not JSON are a `SpecError` that says where the syntax broke.
    @Test func invalidJSONIsASpecError() throws {
        let spec = try JobSpec.parse(Data(Self.spec(Self.data, Self.mlp, Self.sgd).utf8))
        #expect(spec.training.epochs == 10 && spec.training.batchSize == 32 && spec.diagnostics.every == 1)
        do {
            _ = try JobSpec.parse(Data(#"{"x": 1,"#.utf8))
            Issue.record("parsed")
        } catch {
            #expect(error.description.hasPrefix("the spec is not valid JSON: "), "\(error)")
        }
    }
}
