import Foundation

/// Optimizers exactly as PyTorch's single-tensor implementations
/// (ALGORITHMS.md §7), including the order of operations, so a PyTorch user
/// sees the same weights after the same steps.
public enum OptimizerConfig: Sendable, Equatable {
    /// g ← g + λθ; b ← g on the first step, else μb + (1 − τ)g;
    /// g ← g + μb (nesterov) or b; θ ← θ − γg.
    case sgd(momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double)
    /// g ← g + λθ; m ← lerp(m, g, 1 − β1); v ← β2v + (1 − β2)g²;
    /// θ ← θ − (γ/(1 − β1ᵗ))·m / (√v̂/√(1 − β2ᵗ) + eps), v̂ = v or max over steps (amsgrad).
    case adam(beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool)
    /// θ ← θ(1 − γλ), then Adam without the L2 term.
    case adamw(beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool)
    /// g ← g + λθ; v ← αv + (1 − α)g²; s = √(v − ḡ²) (centered) or √v;
    /// with momentum μ > 0: b ← μb + g/(s + eps), θ ← θ − γb; else θ ← θ − γg/(s + eps).
    case rmsprop(alpha: Double, eps: Double, weightDecay: Double, momentum: Double, centered: Bool)
}

/// ‖θ‖² before an update and ‖Δθ‖² of the update, for one parameter.
public struct UpdateMeasure: Sendable {
    public var weightSquares: Double = 0
    public var updateSquares: Double = 0
}

public final class Optimizer {
    public let config: OptimizerConfig
    public let parameters: [Parameter]
    /// First- and second-moment buffers (momentum, exp_avg, square_avg, …),
    /// allocated on first use as PyTorch's lazy state.
    private var first: [Tensor?], second: [Tensor?], third: [Tensor?]
    public private(set) var stepCount = 0

    public init(_ config: OptimizerConfig, parameters: [Parameter]) {
        self.config = config
        self.parameters = parameters
        first = Array(repeating: nil, count: parameters.count)
        second = first
        third = first
    }

    private func state(_ slot: inout [Tensor?], _ i: Int) -> Tensor {
        if let t = slot[i] { return t }
        let t = Tensor(shape: parameters[i].shape)
        slot[i] = t
        return t
    }

    /// Applies one update with learning rate `lr`. When `measure` is set, it
    /// returns ‖θ‖² and ‖Δθ‖² per parameter, accumulated in the same loop.
    @discardableResult
    public func step(lr: Double, measure: Bool) -> [UpdateMeasure] {
        stepCount += 1
        var measures = measure ? [UpdateMeasure](repeating: UpdateMeasure(), count: parameters.count) : []
        for (i, p) in parameters.enumerated() {
            // Raw pointers hoisted out of the loops: element access through the
            // Tensor class would pay a dynamic exclusivity check per element.
            let n = p.count, theta = p.value.data, g = p.grad.data
            var wsq = 0.0, usq = 0.0
            switch config {
            case .sgd(let momentum, let dampening, let nesterov, let weightDecay):
                let firstStep = first[i] == nil  // PyTorch: the buffer starts as a copy of g, no dampening
                let buf = momentum != 0 ? state(&first, i).data : nil
                (wsq, usq) = Self.sgd(n, theta, g, buf, firstStep: firstStep,
                                      lr: Float(lr), momentum: Float(momentum), damp: Float(1 - dampening),
                                      nesterov: nesterov, weightDecay: Float(weightDecay), measure: measure)
            case .adam(let beta1, let beta2, let eps, let weightDecay, let amsgrad),
                 .adamw(let beta1, let beta2, let eps, let weightDecay, let amsgrad):
                var decoupled = false
                if case .adamw = config { decoupled = true }
                let m = state(&first, i).data, v = state(&second, i).data, vmax = amsgrad ? state(&third, i).data : nil
                let t = Double(stepCount)
                let bc1 = 1 - pow(beta1, t), bc2Sqrt = (1 - pow(beta2, t)).squareRoot()
                let stepSize = Float(lr / bc1), bc2 = Float(bc2Sqrt), epsF = Float(eps)
                let b1c = Float(1 - beta1), b2 = Float(beta2), b2c = Float(1 - beta2)
                let wd = Float(weightDecay), decay = Float(1 - lr * weightDecay)
                for k in 0..<n {
                    let old = theta[k]
                    var th = old, d = g[k]
                    if decoupled { th *= decay } else if wd != 0 { d += wd * th }
                    m[k] += b1c * (d - m[k])
                    v[k] = b2 * v[k] + b2c * d * d
                    var vhat = v[k]
                    if let vmax { vmax[k] = max(vmax[k], v[k]); vhat = vmax[k] }
                    let denom = vhat.squareRoot() / bc2 + epsF
                    let new = th - stepSize * (m[k] / denom)
                    theta[k] = new
                    if measure { Self.accumulate(old, new, &wsq, &usq) }
                }
            case .rmsprop(let alpha, let eps, let weightDecay, let momentum, let centered):
                let v = state(&first, i).data, avg = centered ? state(&second, i).data : nil
                let buf = momentum > 0 ? state(&third, i).data : nil
                let a = Float(alpha), ac = Float(1 - alpha), epsF = Float(eps), wd = Float(weightDecay)
                let mu = Float(momentum), rate = Float(lr)
                for k in 0..<n {
                    let old = theta[k]
                    var d = g[k]
                    if wd != 0 { d += wd * old }
                    v[k] = a * v[k] + ac * d * d
                    var s: Float
                    if let avg {
                        avg[k] += ac * (d - avg[k])
                        s = (v[k] - avg[k] * avg[k]).squareRoot()
                    } else {
                        s = v[k].squareRoot()
                    }
                    s += epsF
                    let new: Float
                    if let buf {
                        buf[k] = mu * buf[k] + d / s
                        new = old - rate * buf[k]
                    } else {
                        new = old - rate * (d / s)
                    }
                    theta[k] = new
                    if measure { Self.accumulate(old, new, &wsq, &usq) }
                }
            }
            if measure { measures[i] = UpdateMeasure(weightSquares: wsq, updateSquares: usq) }
        }
        return measures
    }

    /// SGD over one tensor, eight lanes at a time; the branches are loop
    /// invariants. Returns ‖θ‖² and ‖Δθ‖² when `measure` is set.
    private static func sgd(
        _ n: Int, _ theta: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ buf: UnsafeMutablePointer<Float>?, firstStep: Bool, lr: Float, momentum mu: Float, damp: Float,
        nesterov: Bool, weightDecay wd: Float, measure: Bool
    ) -> (Double, Double) {
        typealias V = SIMD8<Float>
        var ws = SIMD8<Double>(), us = SIMD8<Double>()
        let t = UnsafeMutableRawPointer(theta), gr = UnsafeRawPointer(g), b = buf.map { UnsafeMutableRawPointer($0) }
        var k = 0
        while k + 8 <= n {
            let off = k * 4
            let old = t.loadUnaligned(fromByteOffset: off, as: V.self)
            var d = gr.loadUnaligned(fromByteOffset: off, as: V.self)
            if wd != 0 { d += wd * old }
            if let b {
                let m = firstStep ? d : mu * b.loadUnaligned(fromByteOffset: off, as: V.self) + damp * d
                b.storeBytes(of: m, toByteOffset: off, as: V.self)
                d = nesterov ? d + mu * m : m
            }
            let new = old - lr * d
            t.storeBytes(of: new, toByteOffset: off, as: V.self)
            if measure {
                let o = SIMD8<Double>(old), delta = SIMD8<Double>(new) - o
                ws += o * o
                us += delta * delta
            }
            k += 8
        }
        var wsq = ws.sum(), usq = us.sum()
        while k < n {
            var d = g[k]
            let old = theta[k]
            if wd != 0 { d += wd * old }
            if let buf {
                let m = firstStep ? d : mu * buf[k] + damp * d
                buf[k] = m
                d = nesterov ? d + mu * m : m
            }
            let new = old - lr * d
            theta[k] = new
            if measure { accumulate(old, new, &wsq, &usq) }
            k += 1
        }
        return (wsq, usq)
    }

    @inline(__always)
    private static func accumulate(_ old: Float, _ new: Float, _ wsq: inout Double, _ usq: inout Double) {
        let o = Double(old), d = Double(new) - o
        wsq += o * o
        usq += d * d
    }
}
