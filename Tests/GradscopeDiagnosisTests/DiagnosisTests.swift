import Foundation
import Testing
@testable import GradscopeDiagnosis
@testable import GradscopeEngine

/// The detectors on hand-made streams.
struct DiagnosisTests {
    static let facts = ModelFacts(activations: [.relu], hasBatchNorm: false, hasResidual: false, denseLayers: 5,
                                  clipping: false, initializer: "pytorch_default", layerNames: ["d0", "d1", "d2"])

    static func pulse(_ step: Int, norm: Double, loss: Double = 1, nonfinite: Int = 0, layers: [Double] = []) -> StepPulse {
        StepPulse(step: step, epoch: 1, loss: loss, learningRate: 0.1, gradNorm: norm, layerGradNorms: layers, gradNormClipped: norm,
                  clipCoefficient: 1, nonfiniteGradients: nonfinite, skipped: false, accuracy: nil, sampleIndices: [step, step + 1])
    }

    /// A record whose dense layers d0…d3 have δ RMS `deltas` and weight-gradient norms `norms`.
    static func record(_ step: Int, deltas: [Double], norms: [Double]? = nil) -> StepRecord {
        let signals = deltas.enumerated().map { i, d in LayerSignal(name: "d\(i)", kind: .dense, deltaRMS: d) }
        let layers = (norms ?? deltas).enumerated().map { i, n in
            LayerStats(name: "d\(i)", kind: .dense, summary: GradientSummary(count: 10, gradNorm: n), params: [],
                       histogram: Histogram(bins: 4))
        }
        return StepRecord(pulse: pulse(step, norm: 1), batchSize: 2, layers: layers, signals: signals)
    }

    @Test func steadyNormsAreHealthy() {
        let d = Diagnosis(facts: Self.facts)
        var alerts: [Alert] = []
        for s in 1...300 { alerts += d.observe(.pulse(Self.pulse(s, norm: 1 + 0.1 * Double(s % 7)))) }
        #expect(alerts.isEmpty)
        let r = d.report()
        #expect(r.verdict == .healthy && r.firstStep == nil && r.remedies.isEmpty)
    }

    /// Two steps in a row at 100× the median: exploding, dated from the first,
    /// placed at the layer that grew most against its own median.
    @Test func normHundredfoldItsMedianTwiceIsExploding() {
        let d = Diagnosis(facts: Self.facts)
        for s in 1...50 { _ = d.observe(.pulse(Self.pulse(s, norm: 1, layers: [0.5, 0.5, 0.5]))) }
        let first = d.observe(.pulse(Self.pulse(51, norm: 150, layers: [0.5, 140, 50])))
        #expect(first.map(\.kind) == [.gradientSpike])
        let second = d.observe(.pulse(Self.pulse(52, norm: 200, layers: [0.5, 190, 50])))
        #expect(second.map(\.kind) == [.exploding])
        #expect(second.first?.sampleIndices == [52, 53])
        let r = d.report()
        #expect(r.verdict == .exploding && r.firstStep == 51 && r.firstLayer == "d1")
        #expect(r.remedies.first?.kind == .clipNorm)
        #expect(r.evidence.first?.rule == "exploding_over_time")
    }

    @Test func oneLayerExplodingWhileTheGlobalNormDoesNotIsExploding() {
        let d = Diagnosis(facts: Self.facts)
        for s in 1...50 { _ = d.observe(.pulse(Self.pulse(s, norm: 10, layers: [10, 0.01, 0.01]))) }
        for s in 51...52 { _ = d.observe(.pulse(Self.pulse(s, norm: 20, layers: [10, 15, 0.01]))) }
        let r = d.report()
        #expect(r.verdict == .exploding && r.firstLayer == "d1")
    }

    @Test func spikesWarnAndAreRateLimited() {
        let d = Diagnosis(facts: Self.facts)
        for s in 1...50 { _ = d.observe(.pulse(Self.pulse(s, norm: 1))) }
        #expect(d.observe(.pulse(Self.pulse(51, norm: 20))).map(\.kind) == [.gradientSpike])
        #expect(d.observe(.pulse(Self.pulse(52, norm: 1))).isEmpty)
        #expect(d.observe(.pulse(Self.pulse(53, norm: 20))).isEmpty)
        #expect(d.report().verdict == .healthy)
    }

    @Test func zeroGradientStepsDoNotSetTheBaseline() {
        let d = Diagnosis(facts: Self.facts)
        for s in 1...50 { _ = d.observe(.pulse(Self.pulse(s, norm: s % 5 == 0 ? 1000 : 0))) }
        #expect(d.report().verdict == .healthy)
    }

    @Test func nonfiniteGradientsAreDivergedWithTheirOrigin() {
        let d = Diagnosis(facts: Self.facts)
        _ = d.observe(.pulse(Self.pulse(1, norm: 1)))
        _ = d.observe(.nonfinite(NonfiniteOrigin(step: 2, pass: .backward, layer: "d2", quantity: "parameter gradient")))
        let alerts = d.observe(.pulse(Self.pulse(2, norm: 5, loss: .nan, nonfinite: 7)))
        #expect(alerts.first?.kind == .diverged && alerts.first?.layer == "d2")
        let r = d.report()
        #expect(r.verdict == .diverged && r.firstStep == 2 && r.firstLayer == "d2" && r.pass == "backward")
    }

    @Test func lossAbove1e5IsDiverged() {
        let d = Diagnosis(facts: Self.facts)
        _ = d.observe(.pulse(Self.pulse(1, norm: 1, loss: 2e5)))
        #expect(d.report().verdict == .diverged)
    }

    /// δ fading by 1e-5 from the last dense layer to the first, on two
    /// consecutive records: vanishing, placed at the layer nearest the
    /// output already below 1e-3 of the last.
    @Test func fadingBackwardSignalIsVanishing() {
        let d = Diagnosis(facts: ModelFacts(activations: [.sigmoid], hasBatchNorm: false, hasResidual: false,
                                            denseLayers: 4, clipping: false, initializer: "normal"))
        let deltas = [1e-6, 1e-5, 1e-2, 0.1]
        #expect(d.observe(.step(Self.record(1, deltas: deltas))).isEmpty, "one record is not a streak")
        let alerts = d.observe(.step(Self.record(2, deltas: deltas)))
        #expect(alerts.map(\.kind) == [.vanishing])
        let r = d.report()
        #expect(r.verdict == .vanishing && r.firstStep == 1 && r.firstLayer == "d1")
        #expect(r.remedies.map(\.kind) == [.relu, .matchedInit, .batchnorm, .residual])
    }

    @Test func aFirstStepThatSettlesIsNotAnAlarm() {
        let d = Diagnosis(facts: Self.facts)
        _ = d.observe(.step(Self.record(1, deltas: [800, 10, 2, 1])))
        #expect(d.observe(.step(Self.record(5, deltas: [2, 1.5, 1.2, 1]))).isEmpty)
        #expect(d.report().verdict == .healthy)
    }

    @Test func growingBackwardSignalIsExplodingAndRanksInitFirst() {
        let d = Diagnosis(facts: Self.facts)
        for s in [1, 5, 10] { _ = d.observe(.step(Self.record(s, deltas: [900, 100, 10, 1]))) }
        let r = d.report()
        #expect(r.verdict == .exploding && r.firstStep == 1 && r.firstLayer == "d1")
        #expect(r.remedies.first?.kind == .matchedInit)
    }

    /// AUTOTRAINER's rule on weight gradients alone.
    @Test func tinyFirstLayerWeightGradientIsVanishing() {
        let d = Diagnosis(facts: Self.facts)
        for s in [1, 5] { _ = d.observe(.step(Self.record(s, deltas: [1, 1, 1, 1], norms: [1e-6, 1e-4, 1e-2, 1]))) }
        #expect(d.report().verdict == .vanishing)
    }

    // MARK: Learning progress and the verdict policy

    /// ln 3 for three balanced classes, as the engine's constant predictor gives it.
    static let baseline = 1.0986

    static func learningFacts() -> ModelFacts {
        var f = facts
        f.baselineLoss = baseline
        return f
    }

    /// Feeds steps `range` with a pulse each (loss from `loss`, norm 1) and,
    /// on every 5th step, a record whose dense δ are `deltas(step)`.
    static func feed(_ d: Diagnosis, _ range: ClosedRange<Int>, loss: (Int) -> Double,
                     norm: (Int) -> Double = { _ in 1 }, deltas: (Int) -> [Double] = { _ in [1, 1, 1, 1] }) -> [Alert] {
        var alerts: [Alert] = []
        for s in range {
            alerts += d.observe(.pulse(pulse(s, norm: norm(s), loss: loss(s))))
            if s % 5 == 0 {
                var r = record(s, deltas: deltas(s))
                r.pulse = pulse(s, norm: norm(s), loss: loss(s))
                alerts += d.observe(.step(r))
            }
        }
        return alerts
    }

    /// The engine's yardstick: the best constant prediction's loss.
    @Test func baselineIsTheConstantPredictorsLoss() throws {
        let balanced = try #require(Loss.crossEntropy.constantPredictorLoss(.labels([0, 1, 2, 0, 1, 2], classes: 3)))
        #expect(abs(balanced - log(3)) < 1e-12)
        let skewed = try #require(Loss.bceWithLogits.constantPredictorLoss(.labels([0, 0, 0, 1], classes: 2)))
        #expect(abs(skewed - (-0.25 * log(0.25) - 0.75 * log(0.75))) < 1e-12)
        let variance = try #require(Loss.mse.constantPredictorLoss(.values([1, 10, 3, 10, 5, 10], width: 2)))
        #expect(abs(variance - (8.0 / 3 + 0) / 2) < 1e-6)
        #expect(Loss.mse.constantPredictorLoss(.values([], width: 1)) == nil)
    }

    /// The backward signal fades on a third of the records only: in a run
    /// that learns that is evidence, in one that does not it is the cause.
    @Test func aTransientPathologyDecidesOnlyWhenTheRunDoesNotLearn() {
        let fading: (Int) -> [Double] = { $0 <= 40 ? [1e-6, 1e-4, 1e-2, 1] : [0.5, 0.8, 0.9, 1] }
        let learns = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(learns, 1...120, loss: { Self.baseline * (1 - 0.7 * Double($0) / 120) }, deltas: fading)
        let healthy = learns.report()
        #expect(healthy.verdict == .healthy && healthy.remedies.isEmpty)
        #expect(healthy.evidence.contains { $0.rule == "vanishing_across_depth" && $0.step == 5 })
        #expect(healthy.evidence.contains { $0.rule == "learning" && $0.message.contains("despite its alerts") })

        let stalls = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(stalls, 1...120, loss: { _ in Self.baseline }, deltas: fading)
        let vanishing = stalls.report()
        #expect(vanishing.verdict == .vanishing && vanishing.firstStep == 5 && vanishing.firstLayer == "d1")
        #expect(vanishing.evidence.first?.rule == "vanishing_across_depth")
        #expect(vanishing.evidence.contains { $0.rule == "not_learning" && $0.message.contains("vanishing across depth from step 5 explains it") })
    }

    /// A chaotic net: the signal grows at first, then fades once saturated,
    /// and the run never learns. Neither phase holds on most records; the
    /// first one decides.
    @Test func aRunThatChangesPathologyAndNeverLearnsIsNamedByTheFirst() {
        let d = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(d, 1...200, loss: { _ in Self.baseline },
                      deltas: { $0 <= 60 ? [900, 100, 10, 1] : $0 <= 120 ? [1, 1, 1, 1] : [1e-6, 1e-4, 1e-2, 1] })
        let r = d.report()
        #expect(r.verdict == .exploding && r.firstStep == 5)
        #expect(r.evidence.first?.rule == "exploding_across_depth")
        #expect(r.evidence.contains { $0.rule == "vanishing_across_depth" && $0.step == 125 })
    }

    /// Seen on the first record only, the net as initialised, then followed
    /// by another pathology in a run that never learns: the first decides
    /// (Schoenholz et al.'s chaotic phase, whose first updates saturate it).
    @Test func aPathologyOfTheNetAsInitialisedCountsWhenTheRunNeverLearns() {
        let d = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(d, 1...200, loss: { _ in Self.baseline },
                      deltas: { $0 <= 5 ? [900, 100, 10, 1] : [1e-6, 1e-4, 1e-2, 1] })
        let r = d.report()
        #expect(r.verdict == .exploding && r.firstStep == 5 && r.firstLayer == "d1")
        #expect(r.evidence.first?.rule == "exploding_across_depth")
    }

    /// One spike at 40× the median, after which the loss jumps and stays up:
    /// an explosion, though no two steps in a row were at 100×.
    @Test func aSpikeThatDamagesTheRunIsAnExplosion() {
        let d = Diagnosis(facts: Self.learningFacts())
        let alerts = Self.feed(d, 1...150, loss: { $0 < 100 ? 0.5 : 1.4 }, norm: { $0 == 100 ? 40 : 1 })
        #expect(alerts.contains { $0.kind == .gradientSpike && $0.step == 100 })
        let r = d.report()
        #expect(r.verdict == .exploding && r.firstStep == 100)
        #expect(r.evidence.first?.rule == "damaging_spike")
        #expect(r.evidence.first?.message.contains("did not recover") == true)
        #expect(r.remedies.first?.kind == .clipNorm)
    }

    /// The same setback, recovered from: the run ends below where it was
    /// before the spike, and the spike is evidence.
    @Test func aSetbackTheRunRecoversFromIsEvidence() {
        let d = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(d, 1...200, loss: { $0 < 100 ? 0.5 : $0 < 130 ? 1.4 : 0.2 }, norm: { $0 == 100 ? 40 : 1 })
        let r = d.report()
        #expect(r.verdict == .healthy)
        #expect(r.evidence.contains { $0.rule == "damaging_spike" && $0.message.contains("recovered") })
    }

    /// The norm jumps 150× on two steps as the model starts to learn, and
    /// the loss keeps falling: evidence, not a verdict.
    @Test func anExplosionWhileTheLossKeepsImprovingIsEvidence() {
        let d = Diagnosis(facts: Self.learningFacts())
        let alerts = Self.feed(d, 1...150, loss: { $0 < 60 ? Self.baseline : Self.baseline * max(0.2, 1 - Double($0 - 60) / 50) },
                               norm: { $0 == 60 || $0 == 61 ? 150 : 1 })
        #expect(alerts.contains { $0.kind == .exploding && $0.step == 60 })
        let r = d.report()
        #expect(r.verdict == .healthy)
        #expect(r.evidence.contains { $0.rule == "exploding_over_time" && $0.step == 60 })
    }

    /// A jump of 1.5× in a very steady run is noise: no alert.
    @Test func noiseLevelJumpsRaiseNoAlert() {
        let d = Diagnosis(facts: Self.learningFacts())
        let alerts = Self.feed(d, 1...200, loss: { _ in 0.3 }, norm: { $0 % 37 == 0 ? 1.5 : 1 + 1e-4 * Double($0 % 3) })
        #expect(alerts.isEmpty)
    }

    /// After a divergence δ is NaN arithmetic: no depth rule reads it.
    @Test func depthRulesStopAfterADivergence() {
        let d = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(d, 1...20, loss: { _ in 1 })
        _ = d.observe(.pulse(Self.pulse(21, norm: .nan, loss: .nan, nonfinite: 3)))
        for s in [25, 30, 35] { _ = d.observe(.step(Self.record(s, deltas: [0, 0, 1e-9, 1]))) }
        let r = d.report()
        #expect(r.verdict == .diverged)
        #expect(!r.evidence.contains { $0.rule.hasPrefix("vanishing") })
    }

    /// Losses swinging wider than the gate's margin: the trend is
    /// oscillating; the last validation accuracy is part of the evidence.
    @Test func learningEvidenceGivesTheTrendAndTheValidationAccuracy() {
        let d = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(d, 1...100, loss: { $0 % 2 == 0 ? 0.2 : 0.9 })
        _ = d.observe(.epoch(EpochRecord(epoch: 1, step: 100, trainLoss: 0.55, trainAccuracy: 0.8, validationLoss: 0.6,
                                         validationAccuracy: 0.75)))
        let learning = d.report().evidence.first { $0.rule.hasSuffix("learning") }
        #expect(learning?.message.contains("trend oscillating, validation accuracy 75%") == true, "\(String(describing: learning))")
    }

    /// A rule that cannot be judged says so: one weighted layer gives the
    /// depth rules nothing to compare, and 3 losses are too few to judge learning.
    @Test func whatCannotBeJudgedIsSaid() {
        let d = Diagnosis(facts: Self.learningFacts())
        _ = Self.feed(d, 1...3, loss: { _ in 1 }, deltas: { _ in [1] })
        _ = d.observe(.step(Self.record(5, deltas: [1])))
        let notes = d.report().evidence.filter { $0.rule == "not_judged" }.map(\.message)
        #expect(notes.contains { $0.contains("the depth rules") })
        #expect(notes.contains { $0.contains("learning progress") })
    }

    @Test func remediesLeaveOutWhatTheRunAlreadyDoes() {
        let facts = ModelFacts(activations: [.relu], hasBatchNorm: true, hasResidual: true, denseLayers: 8,
                               clipping: true, initializer: "kaiming_normal")
        let kinds = RemedyCatalogue.remedies(for: .exploding, acrossDepth: false, facts: facts).map(\.kind)
        #expect(kinds == [.lowerLearningRate])
    }
}
