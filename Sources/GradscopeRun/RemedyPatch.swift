import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeSpec

/// Turns a `Remedy` into a change of the job spec and applies it.
///
/// A change is a small JSON object in a fixed vocabulary, the `change` of a
/// report's remedy: `{"clip": {…}}` sets the clip section,
/// `{"optimizer": {"lr": x}}` the learning rate, and the model keys `init`
/// (with `gain`), `activation`, `batchnorm` and `residual` apply to the `mlp`
/// shorthand, or to every dense / activation layer of an explicit `layers`
/// list (`batchnorm` inserts one after every hidden dense layer; `residual`
/// needs the shorthand). The recurrent keys apply to every recurrent layer:
/// `recurrent_cell: "lstm"` turns each `rnn` into an `lstm` with
/// `forget_bias` ln T, at least 1, to a tenth (σ(ln T) = T/(T+1): the memory
/// starts by lasting about T steps, as chrono initialisation, Tallec &
/// Ollivier 2018; none on a layer without biases), `recurrent_init: "orthogonal"` sets an orthogonal
/// `weight_hh` at `recurrent_scale` 1.
public enum RemedyPatch {
    /// The change for `remedy` on `spec`, or nil when it cannot be expressed
    /// for this spec (residual links on an explicit layer list).
    public static func change(_ remedy: Remedy.Kind, for spec: JobSpec, facts: ModelFacts) -> JSONValue? {
        switch remedy {
        case .clipNorm: return .object(["clip": .object(["type": .string("norm"), "max_norm": .number(1)])])
        case .lowerLearningRate: return .object(["optimizer": .object(["lr": .number(spec.optimizer.lr / 10)])])
        case .matchedInit:
            var change: [String: JSONValue] = ["init": .string(facts.matchedInit)]
            if facts.matchedInit == "xavier_normal", facts.activations.contains(.tanh) { change["gain"] = .number(5.0 / 3) }
            return .object(change)
        case .relu: return .object(["activation": .string("relu"), "init": .string("kaiming_normal")])
        case .batchnorm: return .object(["batchnorm": .bool(true)])
        case .residual: return spec.isShorthand ? .object(["residual": .bool(true)]) : nil
        case .lstm where facts.recurrentKinds.isEmpty, .orthogonalRecurrent where facts.recurrentKinds.isEmpty: return nil
        case .lstm:
            let forget = max(1, log(Double(spec.data.steps ?? 3)))
            return .object(["recurrent_cell": .string("lstm"), "forget_bias": .number((forget * 10).rounded() / 10)])
        case .orthogonalRecurrent: return .object(["recurrent_init": .string("orthogonal")])
        }
    }

    /// The spec document with `change` applied.
    public static func apply(_ change: JSONValue, to json: JSONValue) -> JSONValue {
        guard case .object(var spec) = json, case .object(let c) = change else { return json }
        if let clip = c["clip"] { spec["clip"] = clip }
        if case .object(let o)? = c["optimizer"], case .object(var optimizer)? = spec["optimizer"] {
            for (k, v) in o { optimizer[k] = v }
            spec["optimizer"] = .object(optimizer)
        }
        let model = c.filter {
            ["init", "gain", "activation", "batchnorm", "residual", "recurrent_cell", "forget_bias", "recurrent_init"].contains($0.key)
        }
        guard !model.isEmpty else { return .object(spec) }
        if case .object(var mlp)? = spec["mlp"] {
            if model["init"] != nil { for k in initFields { mlp[k] = nil } }
            if model["activation"] != nil { mlp["slope"] = nil }
            for (k, v) in model { mlp[k] = v }
            spec["mlp"] = .object(mlp)
        } else if case .array(let layers)? = spec["layers"] {
            spec["layers"] = .array(patch(layers, model))
        }
        return .object(spec)
    }

    static let initFields = ["init", "mean", "std", "a", "gain", "value", "mode", "nonlinearity"]

    private static func patch(_ layers: [JSONValue], _ model: [String: JSONValue]) -> [JSONValue] {
        let lastDense = layers.lastIndex { $0["type"] == .string("dense") }
        var out: [JSONValue] = []
        for (i, layer) in layers.enumerated() {
            guard case .object(var l) = layer, case .string(let type)? = l["type"] else { out.append(layer); continue }
            if let kind = LayerKind(rawValue: type), kind.isRecurrent {
                if model["recurrent_cell"] == .string("lstm"), kind == .rnn {
                    l["type"] = .string("lstm")
                    l["nonlinearity"] = nil
                    if l["bias"] != .bool(false) { l["forget_bias"] = model["forget_bias"] ?? .number(1) }
                }
                if model["recurrent_init"] == .string("orthogonal") {
                    l["recurrent_init"] = .string("orthogonal")
                    l["recurrent_std"] = nil
                    l["recurrent_scale"] = nil
                }
                out.append(.object(l))
            } else if type == "dense" {
                if let initName = model["init"] {
                    for k in initFields { l[k] = nil }
                    l["init"] = initName
                    if let gain = model["gain"] { l["gain"] = gain }
                }
                out.append(.object(l))
                if model["batchnorm"] == .bool(true), i != lastDense { out.append(.object(["type": .string("batchnorm")])) }
            } else if type == "residual", case .array(let inner)? = l["layers"] {
                l["layers"] = .array(patch(inner, model.filter { $0.key != "batchnorm" }))
                out.append(.object(l))
            } else if let activation = model["activation"], LayerKind(rawValue: type)?.isActivation == true, type != "identity" {
                var replaced: [String: JSONValue] = ["type": activation]
                replaced["name"] = l["name"]
                out.append(.object(replaced))
            } else {
                out.append(.object(l))
            }
        }
        return out
    }
}
