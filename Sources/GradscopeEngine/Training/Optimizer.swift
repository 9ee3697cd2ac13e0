import Foundation

/// Optimizers exactly as PyTorch's single-tensor implementations
/// (docs/algorithms.md §10), including the order of operations, so a PyTorch user
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
    /// returns ‖θ‖² and ‖Δθ‖² per parameter (see `UpdateSums`).
    @discardableResult
    public func step(lr: Double, measure: Bool) -> [UpdateMeasure] {
        stepCount += 1
        var measures: [UpdateMeasure] = []
        if measure { measures.reserveCapacity(parameters.count) }
        for (i, p) in parameters.enumerated() {
            let update = rule(i, p, lr: lr)
            if measure {
                measures.append(UpdateSums.measuring(p.value.data, p.count, update))
            } else {
                update(0, p.count)
            }
        }
        return measures
    }

    /// The update of parameter `i` as a function of an index range (start,
    /// count), with its state fetched once. Raw pointers are hoisted out of
    /// the loops: element access through the Tensor class would pay a
    /// dynamic exclusivity check per element.
    private func rule(_ i: Int, _ p: Parameter, lr: Double) -> (Int, Int) -> Void {
        let theta = p.value.data, g = p.grad.data
        switch config {
        case .sgd(let momentum, let dampening, let nesterov, let weightDecay):
            let firstStep = first[i] == nil  // PyTorch: the buffer starts as a copy of g, no dampening
            let buf = momentum != 0 ? state(&first, i).data : nil
            return { start, count in
                Self.sgd(count, theta + start, g + start, buf.map { $0 + start }, firstStep: firstStep,
                         lr: Float(lr), momentum: Float(momentum), damp: Float(1 - dampening),
                         nesterov: nesterov, weightDecay: Float(weightDecay))
            }
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
            return { start, count in
                for k in start..<start + count {
                    var th = theta[k], d = g[k]
                    if decoupled { th *= decay } else if wd != 0 { d += wd * th }
                    m[k] += b1c * (d - m[k])
                    v[k] = b2 * v[k] + b2c * d * d
                    var vhat = v[k]
                    if let vmax { vmax[k] = max(vmax[k], v[k]); vhat = vmax[k] }
                    let denom = vhat.squareRoot() / bc2 + epsF
                    theta[k] = th - stepSize * (m[k] / denom)
                }
            }
        case .rmsprop(let alpha, let eps, let weightDecay, let momentum, let centered):
            let v = state(&first, i).data, avg = centered ? state(&second, i).data : nil
            let buf = momentum > 0 ? state(&third, i).data : nil
            let a = Float(alpha), ac = Float(1 - alpha), epsF = Float(eps), wd = Float(weightDecay)
            let mu = Float(momentum), rate = Float(lr)
            return { start, count in
                for k in start..<start + count {
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
                    if let buf {
                        buf[k] = mu * buf[k] + d / s
                        theta[k] = old - rate * buf[k]
                    } else {
                        theta[k] = old - rate * (d / s)
                    }
                }
            }
        }
    }

    /// SGD over one range, eight lanes at a time; the branches are loop
    /// invariants.
    private static func sgd(
        _ n: Int, _ theta: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ buf: UnsafeMutablePointer<Float>?, firstStep: Bool, lr: Float, momentum mu: Float, damp: Float,
        nesterov: Bool, weightDecay wd: Float
    ) {
        typealias V = SIMD8<Float>
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
            t.storeBytes(of: old - lr * d, toByteOffset: off, as: V.self)
            k += 8
        }
        while k < n {
            var d = g[k]
            if wd != 0 { d += wd * theta[k] }
            if let buf {
                let m = firstStep ? d : mu * buf[k] + damp * d
                buf[k] = m
                d = nesterov ? d + mu * m : m
            }
            theta[k] -= lr * d
            k += 1
        }
    }
}

/// ‖θ‖² before an update and ‖Δθ‖² of it, the realised Δθ = θ_new − θ_old
/// (an update below θ's float resolution is 0, as in PyTorch).
///
/// The update runs block by block; each block's old values are copied to a
/// scratch buffer first and the sums taken right after its update, while
/// both are in L1, in float lanes added to Double per block. A block whose
/// float sums overflow (|θ| or |Δθ| beyond ~1e19) or meet a non-finite value
/// is summed again in Double, which is what the float lanes stand in for.
enum UpdateSums {
    static func measuring(_ theta: UnsafeMutablePointer<Float>, _ n: Int, _ update: (Int, Int) -> Void) -> UpdateMeasure {
        var weights = 0.0, updates = 0.0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: ValueSums.block) { scratch in
            let old = scratch.baseAddress!
            var start = 0
            while start < n {
                let count = min(ValueSums.block, n - start)
                old.update(from: theta + start, count: count)
                update(start, count)
                let (w, u) = block(old, theta + start, count)
                weights += w
                updates += u
                start += count
            }
        }
        return UpdateMeasure(weightSquares: weights, updateSquares: updates)
    }

    private static func block(_ old: UnsafePointer<Float>, _ new: UnsafePointer<Float>, _ n: Int) -> (Double, Double) {
        var ws = SIMD8<Float>(), us = SIMD8<Float>()
        let o = UnsafeRawPointer(old), t = UnsafeRawPointer(new)
        var k = 0
        while k + 8 <= n {
            let a = o.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
            let d = t.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self) - a
            ws += a * a
            us += d * d
            k += 8
        }
        var w = Double(ws.sum()), u = Double(us.sum())
        if w.isFinite && u.isFinite {
            for i in k..<n { accumulate(old[i], new[i], &w, &u) }
            if w.isFinite && u.isFinite { return (w, u) }
        }
        w = 0; u = 0
        for i in 0..<n { accumulate(old[i], new[i], &w, &u) }
        return (w, u)
    }

    @inline(__always)
    private static func accumulate(_ old: Float, _ new: Float, _ wsq: inout Double, _ usq: inout Double) {
        let o = Double(old), d = Double(new) - o
        wsq += o * o
        usq += d * d
    }
}
