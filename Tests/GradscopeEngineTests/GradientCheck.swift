@testable import GradscopeEngine

/// Central finite differences for a layer (or a model) under the probe loss
/// L = Σ y ⊙ R with a fixed random R, so ∂L/∂y = R. Every input and
/// parameter element is nudged by ±eps and (L⁺ − L⁻)/2eps is compared with
/// the analytic gradient. Shapes are non-square, so a transposed weight
/// cannot pass. L is summed in Double; eps = 1e-2 balances float32 rounding
/// against the O(eps²) truncation error.
struct GradientCheck {
    var eps: Float = 1e-2
    var rtol = 2e-2
    var atol = 2e-3

    struct Report: CustomStringConvertible {
        var worst = 0.0
        var location = ""
        var description: String { "worst scaled error \(worst) at \(location)" }
        var passed: Bool { worst <= 1 }
    }

    /// Checks `layers` run in sequence on input `x` in training mode.
    /// Dropout's masks repeat because every pass starts from the same seed.
    func check(_ layers: [Layer], input x: Tensor, checkInput: Bool = true) -> Report {
        let model = Model(layers: layers, inputWidth: x.cols, outputWidth: 0)
        var probeRandom = Random(seed: 99, stream: .probe)
        func forward() -> Tensor {
            var context = ForwardContext(training: true, random: Random(seed: 5))
            return model.forward(x, &context)
        }
        let y0 = forward()
        let probe = Tensor(rows: y0.rows, cols: y0.cols)
        for i in 0..<probe.count { probe[i] = Float(probeRandom.normal()) }
        func loss() -> Double {
            let y = forward()
            var s = 0.0
            for i in 0..<y.count { s += Double(y[i]) * Double(probe[i]) }
            return s
        }

        // Analytic: run forward, then backward with dy = R, keeping ∂L/∂x.
        _ = forward()
        let dxAnalytic = Sequential.backward(layers, probe, needInputGradient: true, recorder: nil).map { $0.array }
        let grads = model.namedParameters.map { ($0.name, $0.parameter.grad.array) }

        var report = Report()
        func compare(_ tensor: Tensor, _ analytic: [Float], _ what: String) {
            for i in 0..<tensor.count {
                let saved = tensor[i]
                tensor[i] = saved + eps
                let plus = loss()
                tensor[i] = saved - eps
                let minus = loss()
                tensor[i] = saved
                let numeric = (plus - minus) / (2 * Double(eps))
                let err = abs(numeric - Double(analytic[i])) / (atol + rtol * abs(numeric))
                if err > report.worst {
                    report.worst = err
                    report.location = "\(what)[\(i)]: analytic \(analytic[i]), numeric \(numeric)"
                }
            }
        }
        if checkInput, let dx = dxAnalytic { compare(x, dx, "input") }
        for ((name, analytic), entry) in zip(grads, model.namedParameters) {
            compare(entry.parameter.value, analytic, name)
        }
        return report
    }

    /// A [rows, cols] input with entries N(0, 1) pushed at least `margin`
    /// away from 0, so ReLU-type kinks are not crossed by ±eps.
    static func input(rows: Int, cols: Int, seed: UInt64 = 3, margin: Float = 0.05) -> Tensor {
        var r = Random(seed: seed)
        let t = Tensor(rows: rows, cols: cols)
        for i in 0..<t.count {
            var v = Float(r.normal())
            if abs(v) < margin { v = v < 0 ? v - margin : v + margin }
            t[i] = v
        }
        return t
    }

    static func dense(_ name: String, _ i: Int, _ o: Int, seed: UInt64 = 11, bias: Bool = true) -> Dense {
        let d = Dense(name: name, inputWidth: i, outputWidth: o, bias: bias)
        var r = Random(seed: seed)
        Initializer.normal(mean: 0, std: 0.5).fill(d.weight.value, fanIn: i, fanOut: o, random: &r)
        if let b = d.bias { Initializer.normal(mean: 0, std: 0.5).fill(b.value, fanIn: i, fanOut: o, random: &r) }
        return d
    }
}
