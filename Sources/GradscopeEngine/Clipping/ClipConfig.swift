/// Gradient cures applied between backward and the optimizer step
/// (docs/algorithms.md §1–7). c is the threshold, g the gradients, n = ‖g‖₂
/// over all parameters unless stated otherwise.
public enum ClipConfig: Sendable, Equatable {
    case none
    /// g ← clamp(g, −c, c) element-wise (`clip_grad_value_`).
    case value(Double)
    /// `clip_grad_norm_`: total = ‖g‖_p (p = 2 or ∞) over all parameters,
    /// coef = min(c/(total + 1e-6), 1), every g ← g·coef, unconditionally, so a
    /// non-finite total poisons the gradients exactly as in PyTorch.
    case norm(maxNorm: Double, type: NormType)
    /// The same rule applied to each layer's parameters separately.
    case layerNorm(maxNorm: Double, type: NormType)
    /// Adaptive gradient clipping (Brock et al. 2021): per unit i (a dense
    /// weight's row, or a whole 1-d tensor), with W* = max(‖W_i‖, eps) and
    /// m = λ·W*, G_i ← G_i·m/max(‖G_i‖, 1e-6) when ‖G_i‖ > m. The output layer's
    /// weight is left alone by default, as NFNets do for the classifier.
    case agc(clipping: Double, eps: Double, excludeOutput: Bool)
    /// AutoClip (Seetharaman et al. 2020): the threshold is the `percentile`-th
    /// percentile (linear interpolation, as numpy) of the global norms seen so
    /// far, this step's included; the last `history` steps are kept.
    case autoclip(percentile: Double, history: Int)
    /// ZClip (Kumar et al. 2025): z = (n − μ)/(σ + 1e-6) against an EMA of
    /// the norm; after `warmup` steps, a spike z > zThreshold clips to
    /// (μ + zThreshold²·σ/z)·clipFactor (mode "reciprocal", the default),
    /// μ ("mean") or μ + zThreshold·σ ("percentile"); optionally capped by
    /// maxNorm. The EMA (α) is fed the clipped value on spikes.
    case zclip(alpha: Double, zThreshold: Double, warmup: Int, clipFactor: Double, maxNorm: Double?,
               mode: ZClipMode)
    /// "Exponential" clipping from the seed text, made precise: n ≤ c leaves g
    /// alone; n > c scales g to norm s = c + τ·(1 − e^{−(n − c)/τ}), which is
    /// continuous with slope 1 at c, grows monotonically and never exceeds
    /// c + τ. τ defaults to c.
    case soft(threshold: Double, softness: Double)

    public enum NormType: Sendable, Equatable { case l2, infinity }
    public enum ZClipMode: String, Sendable, Equatable { case reciprocal, mean, percentile }
}
