import GradscopeEngine

/// `optimizer` in the spec, with PyTorch's names and defaults:
/// sgd (lr required; momentum 0, dampening 0, nesterov false, weight_decay 0),
/// adam (lr 1e-3, betas [0.9, 0.999], eps 1e-8, weight_decay 0, amsgrad false),
/// adamw (as adam with weight_decay 1e-2),
/// rmsprop (lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered false).
package struct OptimizerSpec: Equatable, Sendable {
    package var lr: Double
    package var config: OptimizerConfig

    static let types = ["sgd", "adam", "adamw", "rmsprop"]

    static func read(_ r: inout ObjectReader) throws(SpecError) -> OptimizerSpec {
        guard let type = try r.string("type") else {
            throw SpecError(r.field("type"), "is required (one of \(types.joined(separator: ", ")))")
        }
        try Check.oneOf(type, types, r.field("type"))
        let lrField = r.field("lr")
        let given = try r.number("lr")
        if let given, !(given > 0) { throw SpecError(lrField, "must be a finite number > 0, got \(Check.show(given))") }
        let fields: [String]
        let config: OptimizerConfig
        let lr: Double
        switch type {
        case "sgd":
            fields = ["type", "lr", "momentum", "dampening", "nesterov", "weight_decay"]
            guard let g = given else { throw SpecError(lrField, "is required for sgd") }
            lr = g
            let momentum = try r.number("momentum") ?? 0, dampening = try r.number("dampening") ?? 0
            let nesterov = try r.bool("nesterov") ?? false, wd = try r.number("weight_decay") ?? 0
            try Check.nonNegative(momentum, r.field("momentum"))
            try Check.range(dampening, 0, 1, r.field("dampening"))
            try Check.nonNegative(wd, r.field("weight_decay"))
            if nesterov && (momentum <= 0 || dampening != 0) {
                throw SpecError(r.field("nesterov"), "requires momentum > 0 and dampening 0 (as PyTorch)")
            }
            config = .sgd(momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: wd)
        case "adam", "adamw":
            fields = ["type", "lr", "betas", "eps", "weight_decay", "amsgrad"]
            lr = given ?? 1e-3
            var betas = (0.9, 0.999)
            if let b = try r.array("betas") {
                guard b.count == 2, case .number(let b1) = b[0], case .number(let b2) = b[1] else {
                    throw SpecError(r.field("betas"), "must be two numbers [beta1, beta2]")
                }
                betas = (b1, b2)
            }
            try Check.range(betas.0, 0, 1, r.field("betas[0]"), open: true)
            try Check.range(betas.1, 0, 1, r.field("betas[1]"), open: true)
            let eps = try r.number("eps") ?? 1e-8
            try Check.positive(eps, r.field("eps"))
            let wd = try r.number("weight_decay") ?? (type == "adamw" ? 1e-2 : 0)
            try Check.nonNegative(wd, r.field("weight_decay"))
            let amsgrad = try r.bool("amsgrad") ?? false
            config = type == "adam"
                ? .adam(beta1: betas.0, beta2: betas.1, eps: eps, weightDecay: wd, amsgrad: amsgrad)
                : .adamw(beta1: betas.0, beta2: betas.1, eps: eps, weightDecay: wd, amsgrad: amsgrad)
        default:
            fields = ["type", "lr", "alpha", "eps", "weight_decay", "momentum", "centered"]
            lr = given ?? 1e-2
            let alpha = try r.number("alpha") ?? 0.99, eps = try r.number("eps") ?? 1e-8
            let wd = try r.number("weight_decay") ?? 0, momentum = try r.number("momentum") ?? 0
            try Check.range(alpha, 0, 1, r.field("alpha"))
            try Check.positive(eps, r.field("eps"))
            try Check.nonNegative(wd, r.field("weight_decay"))
            try Check.nonNegative(momentum, r.field("momentum"))
            config = .rmsprop(alpha: alpha, eps: eps, weightDecay: wd, momentum: momentum,
                              centered: try r.bool("centered") ?? false)
        }
        try r.finish("an \(type) optimizer", accepted: fields)
        return OptimizerSpec(lr: lr, config: config)
    }
}

/// `schedule` in the spec (see `Schedule` for the formulas):
/// `{"type":"constant"}`, `{"type":"step","step_size":…,"gamma":0.1}`,
/// `{"type":"exponential","gamma":…}`, `{"type":"cosine","t_max":…,"eta_min":0}`;
/// any of them with `"warmup_steps":W` and `"warmup_start_factor":f` (1/3).
enum ScheduleSpec {
    static func read(_ r: inout ObjectReader, lr: Double) throws(SpecError) -> Schedule {
        let type = try r.string("type") ?? "constant"
        try Check.oneOf(type, ["constant", "step", "exponential", "cosine"], r.field("type"))
        var fields = ["type", "warmup_steps", "warmup_start_factor"]
        let shape: Schedule.Shape
        switch type {
        case "step":
            fields += ["step_size", "gamma"]
            guard let size = try r.integer("step_size") else { throw SpecError(r.field("step_size"), "is required for a step schedule") }
            try Check.range(size, 1, Int(Int32.max), r.field("step_size"))
            let gamma = try r.number("gamma") ?? 0.1
            try Check.positive(gamma, r.field("gamma"))
            shape = .step(stepSize: size, gamma: gamma)
        case "exponential":
            fields.append("gamma")
            guard let gamma = try r.number("gamma") else { throw SpecError(r.field("gamma"), "is required for an exponential schedule") }
            try Check.positive(gamma, r.field("gamma"))
            shape = .exponential(gamma: gamma)
        case "cosine":
            fields += ["t_max", "eta_min"]
            guard let tMax = try r.integer("t_max") else { throw SpecError(r.field("t_max"), "is required for a cosine schedule (updates in one half period)") }
            try Check.range(tMax, 1, Int(Int32.max), r.field("t_max"))
            let etaMin = try r.number("eta_min") ?? 0
            try Check.nonNegative(etaMin, r.field("eta_min"))
            shape = .cosine(tMax: tMax, etaMin: etaMin)
        default: shape = .constant
        }
        let warmup = try r.integer("warmup_steps") ?? 0
        try Check.range(warmup, 0, Int(Int32.max), r.field("warmup_steps"))
        let start = try r.number("warmup_start_factor") ?? 1.0 / 3
        if !(start > 0 && start <= 1) { throw SpecError(r.field("warmup_start_factor"), "must be in (0, 1], got \(Check.show(start))") }
        try r.finish("a \(type) schedule", accepted: fields)
        return Schedule(baseLR: lr, shape: shape, warmupSteps: warmup, warmupStartFactor: start)
    }
}
