import Foundation

/// What clipping did on one step.
public struct ClipResult: Sendable, Equatable {
    /// ‖g‖₂ after the cure (equal to the norm before it when nothing was clipped).
    public var normAfter: Double
    /// normAfter / norm before (1 when untouched; NaN when the gradients were
    /// already non-finite).
    public var coefficient: Double
    /// The threshold in force this step, for the adaptive rules.
    public var threshold: Double?
}

/// Applies a `ClipConfig` to a model's gradients, keeping the state the
/// adaptive rules need (AutoClip's history, ZClip's moving averages).
public final class GradientClipper {
    public let config: ClipConfig
    private let layers: [(name: String, layer: Layer)]
    private let outputLayer: ObjectIdentifier?
    // AutoClip: the recent norms in arrival order and sorted.
    private var arrivals: [Double] = []
    private var arrivalHead = 0
    private var sortedNorms: [Double] = []
    // ZClip: warm-up buffer, then the EMA of the norm and of its variance.
    private var warmupNorms: [Double] = []
    private var mean = 0.0, variance = 0.0

    public init(_ config: ClipConfig, model: Model) {
        self.config = config
        layers = model.parameterLayers
        outputLayer = model.parameterLayers.last.map { ObjectIdentifier($0.layer) }
    }

    private var parameters: [Parameter] { layers.flatMap { $0.layer.parameters } }

    /// Clips in place. `norm` is ‖g‖₂ over finite entries, measured before;
    /// `nonfinite` the count of NaN/±Inf entries.
    public func apply(norm: Double, nonfinite: Int) -> ClipResult {
        switch config {
        case .none:
            return ClipResult(normAfter: norm, coefficient: 1, threshold: nil)
        case .value(let c):
            let bound = Float(c)
            for p in parameters {
                let g = p.grad.data
                for k in 0..<p.count where !g[k].isNaN { g[k] = min(max(g[k], -bound), bound) }
            }
            return measured(before: norm, threshold: c)
        case .norm(let maxNorm, let type):
            // The L2 total is known when every entry is finite; otherwise
            // PyTorch's total is non-finite and so must ours be.
            let known = type == .l2 && nonfinite == 0 ? norm : nil
            let coef = Self.clipNorm(parameters, maxNorm: maxNorm, type: type, total: known)
            return measured(before: norm, threshold: maxNorm, coefficient: type == .l2 ? coef : nil)
        case .layerNorm(let maxNorm, let type):
            for entry in layers { _ = Self.clipNorm(entry.layer.parameters, maxNorm: maxNorm, type: type) }
            return measured(before: norm, threshold: maxNorm)
        case .agc(let clipping, let eps, let excludeOutput):
            for entry in layers {
                let isOutput = ObjectIdentifier(entry.layer) == outputLayer
                for p in entry.layer.parameters where !(excludeOutput && isOutput && p.shape.count == 2) {
                    Self.adaptiveClip(p, clipping: clipping, eps: eps)
                }
            }
            return measured(before: norm, threshold: clipping)
        case .autoclip(let percentile, let history):
            guard norm.isFinite else { return ClipResult(normAfter: norm, coefficient: .nan, threshold: nil) }
            remember(norm, window: history)
            let threshold = Self.percentile(sortedNorms, percentile)
            let coef = Self.clipNorm(parameters, maxNorm: threshold, type: .l2, total: norm)
            return ClipResult(normAfter: norm * coef, coefficient: coef, threshold: threshold)
        case .zclip(let alpha, let z, let warmup, let factor, let maxNorm, let mode):
            return zclip(norm, alpha: alpha, zThreshold: z, warmup: warmup, factor: factor, maxNorm: maxNorm, mode: mode)
        case .soft(let c, let tau):
            guard norm.isFinite else { return ClipResult(normAfter: norm, coefficient: .nan, threshold: c) }
            guard norm > c else { return ClipResult(normAfter: norm, coefficient: 1, threshold: c) }
            let target = c + tau * (1 - exp(-(norm - c) / tau))
            scale(parameters, by: Float(target / norm))
            return ClipResult(normAfter: target, coefficient: target / norm, threshold: c)
        }
    }

    private func measured(before: Double, threshold: Double?, coefficient: Double? = nil) -> ClipResult {
        let after = GradientStatistics.globalSquares(parameters).squares.squareRoot()
        return ClipResult(normAfter: after, coefficient: coefficient ?? (before > 0 ? after / before : 1), threshold: threshold)
    }

    /// `clip_grad_norm_` over `params`; returns the coefficient applied.
    /// Non-finite values propagate as in PyTorch (an Inf total zeroes the
    /// finite entries, a NaN total makes every entry NaN).
    @discardableResult
    static func clipNorm(_ params: [Parameter], maxNorm: Double, type: ClipConfig.NormType, total given: Double? = nil) -> Double {
        var total = given ?? 0
        if given == nil {
            switch type {
            case .l2:
                var sq = 0.0
                for p in params { for k in 0..<p.count { let v = Double(p.grad.data[k]); sq += v * v } }
                total = sq.squareRoot()
            case .infinity:
                var m = 0.0
                for p in params { for k in 0..<p.count { let a = Double(abs(p.grad.data[k])); m = a.isNaN ? .nan : max(m, a) } }
                total = m
            }
        }
        // torch.clamp(coef, max=1) keeps NaN.
        let raw = maxNorm / (total + 1e-6)
        let coef = raw.isNaN ? raw : min(raw, 1)
        scale(params, by: Float(coef))
        return coef
    }

    /// AGC on one parameter: unit-wise over a `[out, in]` weight's rows, or
    /// the whole tensor for 1-d ones.
    static func adaptiveClip(_ p: Parameter, clipping: Double, eps: Double) {
        let rows = p.shape.count == 2 ? p.shape[0] : 1
        let cols = p.count / max(rows, 1)
        let w = p.value.data, g = p.grad.data
        for r in 0..<rows {
            var wsq = 0.0, gsq = 0.0
            for k in (r * cols)..<((r + 1) * cols) {
                wsq += Double(w[k]) * Double(w[k])
                gsq += Double(g[k]) * Double(g[k])
            }
            let limit = clipping * max(wsq.squareRoot(), eps), gnorm = gsq.squareRoot()
            guard gnorm > limit else { continue }
            let s = Float(limit / max(gnorm, 1e-6))
            for k in (r * cols)..<((r + 1) * cols) { g[k] *= s }
        }
    }

    private func scale(_ params: [Parameter], by s: Float) { Self.scale(params, by: s) }

    static func scale(_ params: [Parameter], by s: Float) {
        for p in params {
            let g = p.grad.data
            for k in 0..<p.count { g[k] *= s }
        }
    }

    // MARK: AutoClip

    private func remember(_ norm: Double, window: Int) {
        if arrivals.count == window {
            let old = arrivals[arrivalHead]
            sortedNorms.remove(at: Self.lowerBound(sortedNorms, old))
            arrivals[arrivalHead] = norm
            arrivalHead = (arrivalHead + 1) % window
        } else {
            arrivals.append(norm)
        }
        sortedNorms.insert(norm, at: Self.lowerBound(sortedNorms, norm))
    }

    static func lowerBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// numpy.percentile with linear interpolation on sorted data.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .infinity }
        let rank = p / 100 * Double(sorted.count - 1)
        let lo = Int(rank.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - Double(lo))
    }

    // MARK: ZClip

    private func zclip(_ norm: Double, alpha: Double, zThreshold: Double, warmup: Int, factor: Double,
                       maxNorm: Double?, mode: ClipConfig.ZClipMode) -> ClipResult {
        guard norm.isFinite else { return ClipResult(normAfter: norm, coefficient: .nan, threshold: nil) }
        if warmupNorms.count < warmup {
            warmupNorms.append(norm)
            if warmupNorms.count == warmup {
                mean = warmupNorms.reduce(0, +) / Double(warmup)
                variance = warmupNorms.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(warmup)
            }
            return capped(norm, maxNorm)
        }
        let std = variance.squareRoot()
        let z = (norm - mean) / (std + 1e-6)
        var limit = norm
        var spike = false
        if z > zThreshold {
            spike = true
            switch mode {
            case .reciprocal: limit = (mean + zThreshold * zThreshold * std / z) * factor
            case .mean: limit = mean * factor
            case .percentile: limit = (mean + zThreshold * std) * factor
            }
        }
        if let maxNorm { limit = min(limit, maxNorm) }
        var coef = 1.0
        if norm > limit {
            coef = limit / (norm + 1e-6)
            scale(parameters, by: Float(coef))
        }
        let x = spike ? limit : norm
        mean = alpha * mean + (1 - alpha) * x
        variance = alpha * variance + (1 - alpha) * (x - mean) * (x - mean)
        return ClipResult(normAfter: norm * coef, coefficient: coef, threshold: spike ? limit : nil)
    }

    private func capped(_ norm: Double, _ maxNorm: Double?) -> ClipResult {
        guard let maxNorm, norm > maxNorm else { return ClipResult(normAfter: norm, coefficient: 1, threshold: maxNorm) }
        let coef = maxNorm / (norm + 1e-6)
        scale(parameters, by: Float(coef))
        return ClipResult(normAfter: norm * coef, coefficient: coef, threshold: maxNorm)
    }
}
