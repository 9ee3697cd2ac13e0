/// Ready-to-run scenarios for the dashboard and `GET /api/presets`: each a
/// job spec and a line on what it shows.
public enum Presets {
    public struct Preset: Sendable {
        public var name: String
        public var title: String
        public var description: String
        public var spec: String
    }

    static let spirals = #""data": {"source": "spirals", "samples": 1500, "classes": 3, "noise": 0.1}"#
    static let training = #""training": {"epochs": 20, "batch_size": 64, "validation_split": 0.2}, "diagnostics": {"every": 5}"#

    static func spec(_ name: String, _ model: String, _ optimizer: String = #""optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9}"#,
                     extra: String = "", data: String = spirals) -> String {
        "{" + [#""name": "\#(name)", "seed": 1"#, data, model, optimizer, training, extra].filter { !$0.isEmpty }.joined(separator: ", ") + "}"
    }

    public static let all: [Preset] = [
        Preset(name: "healthy", title: "Healthy: 6-layer ReLU, He init",
               description: "Gradient norms stay within a small factor across layers and the net trains to ~99%.",
               spec: spec("healthy", #""mlp": {"depth": 6, "width": 64, "activation": "relu", "init": "kaiming_normal", "bias_init": "zeros"}"#)),
        Preset(name: "vanishing-sigmoid", title: "Vanishing: 20-layer sigmoid",
               description: "The first layers get gradients 1e-15 of the last: the heatmap's left side stays cold and nothing learns.",
               spec: spec("vanishing-sigmoid", #""mlp": {"depth": 20, "width": 64, "activation": "sigmoid", "init": "normal", "std": 0.1, "bias_init": "zeros"}"#)),
        Preset(name: "exploding-relu", title: "Exploding: 20-layer ReLU, large init",
               description: "The backward signal grows ×1.6 per layer towards the input, gradients reach 1e4 and the run turns NaN at step 2.",
               spec: spec("exploding-relu", #""mlp": {"depth": 20, "width": 64, "activation": "relu", "init": "normal", "std": 0.3, "bias_init": "zeros"}"#)),
        Preset(name: "high-learning-rate", title: "Too-high learning rate",
               description: "A sound 4-layer ReLU net with SGD at lr 2: updates overshoot and the loss diverges.",
               spec: spec("high-learning-rate", #""mlp": {"depth": 4, "width": 32, "activation": "relu", "init": "kaiming_normal"}"#,
                          #""optimizer": {"type": "sgd", "lr": 2.0}"#)),
        Preset(name: "clipping-cure", title: "Cure: norm clipping",
               description: "The same lr-2 run with the global gradient norm clipped at 0.5 trains to ~90%.",
               spec: spec("clipping-cure", #""mlp": {"depth": 4, "width": 32, "activation": "relu", "init": "kaiming_normal"}"#,
                          #""optimizer": {"type": "sgd", "lr": 2.0}"#, extra: #""clip": {"type": "norm", "max_norm": 0.5}"#)),
        Preset(name: "batchnorm-cure", title: "Cure: BatchNorm",
               description: "The exploding 20-layer ReLU net with BatchNorm after every dense layer: gradients stay bounded and it trains.",
               spec: spec("batchnorm-cure", #""mlp": {"depth": 20, "width": 64, "activation": "relu", "init": "normal", "std": 0.3, "bias_init": "zeros", "batchnorm": true}"#)),
        Preset(name: "residual-cure", title: "Cure: residual links",
               description: "A 20-layer ReLU net with residual blocks and BatchNorm: identity paths carry the gradient to the first layers.",
               spec: spec("residual-cure", #""mlp": {"depth": 20, "width": 32, "activation": "relu", "init": "kaiming_normal", "batchnorm": true, "residual": true}"#,
                          #""optimizer": {"type": "adam", "lr": 0.001}"#)),
        Preset(name: "digits", title: "Digits: a real data set",
               description: "1,797 handwritten 8×8 digits, a 2-layer ReLU net with Adam: healthy, ~95% validation accuracy.",
               spec: spec("digits", #""mlp": {"depth": 2, "width": 64, "activation": "relu", "init": "kaiming_uniform"}"#,
                          #""optimizer": {"type": "adam", "lr": 0.001}"#, data: #""data": {"source": "digits"}"#)),
        // Recurrent nets: examples/rnn-exploding.json, rnn-clipped.json, rnn-vanishing.json, lstm-adding.json.
        Preset(name: "rnn-exploding", title: "Exploding through time: tanh RNN",
               description: "A tanh RNN on the adding problem (T = 50) with weight_hh orthogonal × 1.6 and SGD 0.02: ‖∂L/∂h_1‖ starts 215× ‖∂L/∂h_50‖, the gradient norm grows 150× in 17 steps and the loss blows up at step 19.",
               spec: #"{"name": "exploding through time: tanh RNN, weight_hh orthogonal × 1.6, SGD 0.02, adding problem T = 50", "seed": 1, "data": {"source": "adding", "samples": 4000, "sequence_length": 50}, "layers": [{"type": "rnn", "name": "rnn", "hidden": 128, "recurrent_init": "orthogonal", "recurrent_scale": 1.6}, {"type": "dense", "name": "head", "units": 1}], "optimizer": {"type": "sgd", "lr": 0.02}, "training": {"epochs": 10, "batch_size": 32, "validation_split": 0.1}, "diagnostics": {"every": 5}}"#),
        Preset(name: "rnn-clipping-cure", title: "Cure: clipping the RNN",
               description: "The same RNN with the global gradient norm clipped at 1 (Pascanu et al. 2013): it trains and beats the adding problem's baseline MSE of 0.042.",
               spec: #"{"name": "cured by clipping: the same RNN with the global gradient norm clipped at 1", "seed": 1, "data": {"source": "adding", "samples": 4000, "sequence_length": 50}, "layers": [{"type": "rnn", "name": "rnn", "hidden": 128, "recurrent_init": "orthogonal", "recurrent_scale": 1.6}, {"type": "dense", "name": "head", "units": 1}], "optimizer": {"type": "sgd", "lr": 0.02}, "clip": {"type": "norm", "max_norm": 1}, "training": {"epochs": 10, "batch_size": 32, "validation_split": 0.1}, "diagnostics": {"every": 5}}"#),
        Preset(name: "rnn-vanishing", title: "Vanishing through time: tanh RNN",
               description: "A tanh RNN with PyTorch's default init on the adding problem (T = 50): the gradient reaching step 1 is ~1e-10 of step 50's and the loss stays at the baseline.",
               spec: #"{"name": "vanishing through time: tanh RNN with PyTorch's default init, adding problem T = 50", "seed": 1, "data": {"source": "adding", "samples": 10000, "sequence_length": 50}, "layers": [{"type": "rnn", "name": "rnn", "hidden": 64}, {"type": "dense", "name": "head", "units": 1}], "optimizer": {"type": "adam", "lr": 0.002}, "training": {"epochs": 10, "batch_size": 32, "validation_split": 0.1}, "diagnostics": {"every": 5}}"#),
        Preset(name: "lstm-cure", title: "Cure: an LSTM",
               description: "The same task with an LSTM whose forget gate starts open (bias ln 50): the profile through time stays alive and the MSE falls far below the baseline.",
               spec: #"{"name": "kept alive: LSTM (forget bias ln 50 ≈ 3.9) on the same adding problem", "seed": 1, "data": {"source": "adding", "samples": 10000, "sequence_length": 50}, "layers": [{"type": "lstm", "name": "lstm", "hidden": 64, "forget_bias": 3.9}, {"type": "dense", "name": "head", "units": 1}], "optimizer": {"type": "adam", "lr": 0.002}, "training": {"epochs": 10, "batch_size": 32, "validation_split": 0.1}, "diagnostics": {"every": 5}}"#),
    ]
}
