import GradscopeEngine

/// `clip` in the spec: the cure applied between backward and the optimizer
/// step (formulas: `ClipConfig`, README "Clipping").
///
/// | type | fields (defaults) |
/// |---|---|
/// | none | — |
/// | value | clip_value (required) |
/// | norm, layer_norm | max_norm (required), norm_type (2 or "inf"; 2) |
/// | agc | clipping (0.01), eps (1e-3), exclude_output (true) |
/// | autoclip | percentile (10), history (10000) |
/// | zclip | alpha (0.97), z_threshold (2.5), warmup (25), clip_factor (1), max_norm (none), mode ("reciprocal", "mean", "percentile") |
/// | soft | threshold (required), softness (= threshold) |
///
/// Every type also takes `skip_nonfinite` (false).
enum ClipSpec {
    static let types = ["none", "value", "norm", "layer_norm", "agc", "autoclip", "zclip", "soft"]

    static func read(_ r: inout ObjectReader) throws(SpecError) -> (ClipConfig, skipNonfinite: Bool) {
        let type = try r.string("type") ?? "none"
        try Check.oneOf(type, types, r.field("type"))
        let takes: [String] = switch type {
        case "value": ["clip_value"]
        case "norm", "layer_norm": ["max_norm", "norm_type"]
        case "agc": ["clipping", "eps", "exclude_output"]
        case "autoclip": ["percentile", "history"]
        case "zclip": ["alpha", "z_threshold", "warmup", "clip_factor", "max_norm", "mode"]
        case "soft": ["threshold", "softness"]
        default: []
        }
        try r.only(["type", "skip_nonfinite"] + takes, in: "a \(type) clip")
        let skip = try r.bool("skip_nonfinite") ?? false
        func required(_ key: String) throws(SpecError) -> Double {
            guard let v = try r.number(key) else { throw SpecError(r.field(key), "is required for clip type \"\(type)\"") }
            try Check.positive(v, r.field(key))
            return v
        }
        let config: ClipConfig
        switch type {
        case "value": config = .value(try required("clip_value"))
        case "norm", "layer_norm":
            let maxNorm = try required("max_norm")
            let normType = try normType(&r)
            config = type == "norm" ? .norm(maxNorm: maxNorm, type: normType) : .layerNorm(maxNorm: maxNorm, type: normType)
        case "agc":
            let clipping = try r.number("clipping") ?? 0.01, eps = try r.number("eps") ?? 1e-3
            try Check.positive(clipping, r.field("clipping"))
            try Check.positive(eps, r.field("eps"))
            config = .agc(clipping: clipping, eps: eps, excludeOutput: try r.bool("exclude_output") ?? true)
        case "autoclip":
            let percentile = try r.number("percentile") ?? 10, history = try r.integer("history") ?? 10_000
            try Check.range(percentile, 0, 100, r.field("percentile"))
            try Check.range(history, 1, 1_000_000, r.field("history"))
            config = .autoclip(percentile: percentile, history: history)
        case "zclip":
            let alpha = try r.number("alpha") ?? 0.97, z = try r.number("z_threshold") ?? 2.5
            let warmup = try r.integer("warmup") ?? 25, factor = try r.number("clip_factor") ?? 1
            let maxNorm = try r.number("max_norm")
            let mode = try r.string("mode") ?? "reciprocal"
            try Check.range(alpha, 0, 1, r.field("alpha"), open: true)
            try Check.positive(z, r.field("z_threshold"))
            try Check.range(warmup, 1, 1_000_000, r.field("warmup"))
            try Check.positive(factor, r.field("clip_factor"))
            try Check.positive(maxNorm, r.field("max_norm"))
            try Check.oneOf(mode, ["reciprocal", "mean", "percentile"], r.field("mode"))
            config = .zclip(alpha: alpha, zThreshold: z, warmup: warmup, clipFactor: factor, maxNorm: maxNorm,
                            mode: ClipConfig.ZClipMode(rawValue: mode)!)
        case "soft":
            let threshold = try required("threshold")
            let softness = try r.number("softness") ?? threshold
            try Check.positive(softness, r.field("softness"))
            config = .soft(threshold: threshold, softness: softness)
        default: config = .none
        }
        return (config, skip)
    }

    /// `norm_type`: 2 (default) or "inf", as `clip_grad_norm_` accepts.
    private static func normType(_ r: inout ObjectReader) throws(SpecError) -> ClipConfig.NormType {
        guard r.has("norm_type") else { return .l2 }
        if let s = try? r.string("norm_type") {
            guard s == "inf" else { throw SpecError(r.field("norm_type"), "must be 2 or \"inf\", got \"\(s)\"") }
            return .infinity
        }
        let n = try r.number("norm_type")
        guard n == 2 else { throw SpecError(r.field("norm_type"), "must be 2 or \"inf\", got \(Check.show(n ?? 0))") }
        return .l2
    }
}
