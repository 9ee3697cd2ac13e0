/// The numbers behind every rule, with where they come from
/// (docs/algorithms.md §20 collects them).
public enum Thresholds {
    /// Vanishing, AUTOTRAINER (ICSE'21, monitor.py): ‖∂W_first‖/‖∂W_last‖ < β1 = 1e-3 …
    public static let vanishingWeightRatio = 1e-3
    /// … and ‖∂W_first‖ < β2 = 1e-4.
    public static let vanishingFirstNorm = 1e-4
    /// Vanishing by the backward signal: RMS δ of the first dense layer over
    /// the last's below 1e-3 (AUTOTRAINER's β1 applied to δ, which also
    /// catches tanh/ReLU nets whose weight gradients stay flat; see
    /// docs/algorithms.md §19).
    public static let vanishingDeltaRatio = 1e-3
    /// Exploding, AUTOTRAINER: first/last ratio above β3 = 70, applied to δ.
    public static let explodingDeltaRatio = 70.0
    /// Through time (recurrent layers): ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖, the gradient
    /// that reaches the first step against the last, judged with the same
    /// β1 and β3 as the depth rules: time is depth for a recurrent net
    /// unrolled over T steps.
    public static let vanishingTimeRatio = 1e-3
    public static let explodingTimeRatio = 70.0
    /// Exploding over time: the global norm at least 100× (two orders of
    /// magnitude) its rolling median. 10×, which healthy runs reach early in
    /// training, is reported as a spike instead (docs/algorithms.md §20).
    public static let explodingGrowth = 100.0
    public static let spikeGrowth = 10.0
    /// Rolling window for the median, and the history needed before use
    /// (docs/algorithms.md §20).
    public static let medianWindow = 100
    public static let medianMinimum = 10
    /// ZClip's z-score threshold and EMA factor, for spike alerts.
    public static let spikeZ = 2.5
    public static let spikeAlpha = 0.97
    /// Diverged: AUTOTRAINER counts a loss ≥ 1e5 as an explosion.
    public static let divergedLoss = 1e5
    /// Dead ReLU units / saturated sigmoid-tanh outputs: AUTOTRAINER's γ = 0.7.
    public static let deadFraction = 0.7
    public static let saturatedFraction = 0.7
    /// Update/weight ratio: ~1e-3 is healthy (CS231n); outside [1e-5, 1e-1]
    /// the learning rate is far off (docs/algorithms.md §20).
    public static let updateRatioHigh = 1e-1
    public static let updateRatioLow = 1e-5
    /// A spatial condition (δ across depth) decides the verdict when it holds
    /// on at least this share of the recorded steps.
    public static let persistentShare = 0.5
    /// … and alerts once it holds on this many consecutive recorded steps,
    /// so that the first step of a run that settles by itself is not an alarm.
    public static let streak = 2
}
