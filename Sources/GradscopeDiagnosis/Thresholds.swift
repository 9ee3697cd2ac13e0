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
    /// magnitude) its rolling median. 10×, an order of magnitude, which
    /// healthy runs reach early in training, is reported as a spike instead
    /// (docs/algorithms.md §20). Smaller jumps are noise and raise nothing.
    public static let explodingGrowth = 100.0
    public static let spikeGrowth = 10.0
    /// Rolling window for the median, and the history needed before use
    /// (docs/algorithms.md §20).
    public static let medianWindow = 100
    public static let medianMinimum = 10
    /// Diverged: AUTOTRAINER counts a loss ≥ 1e5 as an explosion.
    public static let divergedLoss = 1e5
    /// Dead ReLU units / saturated sigmoid-tanh outputs: AUTOTRAINER's γ = 0.7.
    public static let deadFraction = 0.7
    public static let saturatedFraction = 0.7
    /// Update/weight ratio: ~1e-3 is healthy (CS231n); outside [1e-5, 1e-1]
    /// the learning rate is far off (docs/algorithms.md §20).
    public static let updateRatioHigh = 1e-1
    public static let updateRatioLow = 1e-5
    /// The learning gate: a run learns when its recent loss is at least 10%
    /// below the best constant predictor's. For cross-entropy that is a
    /// tenth of the label's entropy extracted from the inputs; for MSE,
    /// R² ≥ 0.1. Chosen as the smallest progress nobody would call chance:
    /// 10-class cross-entropy at 2.07 against ln 10 = 2.30, where a run at
    /// 2.17 (18% accuracy) has learned next to nothing. The scenario set's
    /// stalled and learning runs sit far on either side (docs/diagnosis.md
    /// gives the measured spread).
    public static let learnedProgress = 0.1
    /// Without a declared baseline, the median of the first 5 finite losses.
    public static let baselineSteps = 5
    /// The window for the recent loss: a fifth of the run, from 5 to 50
    /// steps, so that it reads the end of the run and not its noise.
    public static let progressWindowMin = 5
    public static let progressWindowMax = 50
    /// A spike's damage is judged on the medians of the 10 steps before and
    /// after it: a loss that recovers within 5 steps leaves the median
    /// unmoved, and 10 steps is short against any run worth diagnosing.
    public static let damageWindow = 10
    /// In a run that learns (or is too short to tell), a depth or time
    /// condition decides the verdict when it holds on at least half of the
    /// recorded steps it was judged on: a majority, so that a transient
    /// phase stays evidence (VerdictPolicy).
    public static let persistentShare = 0.5
    /// … and alerts once it holds on this many consecutive recorded steps,
    /// so that the first step of a run that settles by itself is not an alarm.
    public static let streak = 2
}
