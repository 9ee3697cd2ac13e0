import Foundation
import Testing
@testable import GradscopeEngine

/// Each clipping rule against its formula (docs/algorithms.md §1–6), on a
/// two-layer model whose gradients are set by hand.
struct ClippingTests {
    /// Dense 2→2 (weight 4 values, bias 2) and dense 2→1 (2 + 1): 9 gradient values.
    static func model(grads: [Float], weights: [Float]? = nil) -> Model {
        let a = Dense(name: "a", inputWidth: 2, outputWidth: 2), b = Dense(name: "b", inputWidth: 2, outputWidth: 1)
        let m = Model(layers: [a, b], inputWidth: 2, outputWidth: 1)
        var k = 0
        for (_, p) in m.namedParameters {
            for i in 0..<p.count {
                p.grad[i] = grads[k]
                p.value[i] = weights?[k] ?? 1
                k += 1
            }
        }
        return m
    }

    static func grads(_ m: Model) -> [Float] { m.namedParameters.flatMap { $0.parameter.grad.array } }
    static func norm(_ g: [Float]) -> Double { g.map { Double($0) * Double($0) }.reduce(0, +).squareRoot() }
    static let g: [Float] = [3, -4, 0.5, 0, 12, -1, 2, -2, 1]

    @Test func valueClampsEveryEntry() {
        let m = Self.model(grads: Self.g)
        let r = GradientClipper(.value(1.5), model: m).apply(norm: Self.norm(Self.g), nonfinite: 0)
        #expect(Self.grads(m) == [1.5, -1.5, 0.5, 0, 1.5, -1, 1.5, -1.5, 1])
        #expect(abs(r.normAfter - Self.norm(Self.grads(m))) < 1e-9)
    }

    @Test func normScalesByMaxNormOverTotalPlusEpsilon() {
        let m = Self.model(grads: Self.g)
        let total = Self.norm(Self.g)
        let r = GradientClipper(.norm(maxNorm: 2, type: .l2), model: m).apply(norm: total, nonfinite: 0)
        let coef = 2 / (total + 1e-6)
        for (a, b) in zip(Self.grads(m), Self.g) { #expect(abs(Double(a) - Double(b) * coef) < 1e-6) }
        #expect(abs(r.coefficient - coef) < 1e-12)
        #expect(r.normAfter < 2 && r.normAfter > 2 - 1e-5)
    }

    @Test func normBelowTheThresholdLeavesGradientsAlone() {
        let m = Self.model(grads: Self.g)
        let r = GradientClipper(.norm(maxNorm: 100, type: .l2), model: m).apply(norm: Self.norm(Self.g), nonfinite: 0)
        #expect(Self.grads(m) == Self.g)
        #expect(r.coefficient == 1)
    }

    @Test func infinityNormUsesTheLargestEntry() {
        let m = Self.model(grads: Self.g)
        _ = GradientClipper(.norm(maxNorm: 6, type: .infinity), model: m).apply(norm: Self.norm(Self.g), nonfinite: 0)
        let coef = 6 / (12 + 1e-6)
        for (a, b) in zip(Self.grads(m), Self.g) { #expect(abs(Double(a) - Double(b) * coef) < 1e-6) }
    }

    /// As PyTorch: an Inf total zeroes finite entries (and Inf·0 = NaN); a NaN total poisons all.
    @Test func nonfiniteTotalsPropagateAsInPyTorch() {
        var g = Self.g
        g[1] = .infinity
        let m = Self.model(grads: g)
        _ = GradientClipper(.norm(maxNorm: 1, type: .l2), model: m).apply(norm: 13, nonfinite: 1)
        let after = Self.grads(m)
        #expect(after[0] == 0 && after[1].isNaN)
        g[1] = .nan
        let n = Self.model(grads: g)
        _ = GradientClipper(.norm(maxNorm: 1, type: .l2), model: n).apply(norm: 13, nonfinite: 1)
        #expect(Self.grads(n).allSatisfy { $0.isNaN })
    }

    @Test func layerNormClipsEachLayerOnItsOwn() {
        let m = Self.model(grads: Self.g)
        _ = GradientClipper(.layerNorm(maxNorm: 1, type: .l2), model: m).apply(norm: Self.norm(Self.g), nonfinite: 0)
        let after = Self.grads(m)
        #expect(abs(Self.norm(Array(after[0..<6])) - 1) < 1e-5)
        #expect(abs(Self.norm(Array(after[6..<9])) - 1) < 1e-5)
    }

    /// AGC: rows of a weight clipped to λ·max(‖W_row‖, eps); biases as one unit; the output weight excluded.
    @Test func agcClipsUnitWiseAgainstTheWeights() {
        let weights: [Float] = [3, 4, 0, 0, 1, 1, 1, 1, 1]
        let m = Self.model(grads: Self.g, weights: weights)
        _ = GradientClipper(.agc(clipping: 0.1, eps: 1e-3, excludeOutput: true), model: m)
            .apply(norm: Self.norm(Self.g), nonfinite: 0)
        let after = Self.grads(m)
        // Row 0 of a.weight: ‖W‖ = 5, limit 0.5, ‖G‖ = 5 → scaled by 0.1.
        #expect(abs(after[0] - 0.3) < 1e-6 && abs(after[1] + 0.4) < 1e-6)
        // Row 1: ‖W‖ = 0 → eps, limit 1e-4, ‖G‖ = 0.5.
        #expect(abs(Self.norm(Array(after[2..<4])) - 1e-4) < 1e-9)
        // a.bias: ‖W‖ = √2, limit 0.1414, ‖G‖ = √145.
        #expect(abs(Self.norm(Array(after[4..<6])) - 0.1 * 2.0.squareRoot()) < 1e-6)
        // b.weight is the output layer's weight: untouched. b.bias: limit 0.1 < 1.
        #expect(Array(after[6..<8]) == [2, -2])
        #expect(abs(after[8] - 0.1) < 1e-6)
    }

    @Test func autoclipClipsToThePercentileOfTheHistory() {
        let m = Self.model(grads: Self.g)
        let clipper = GradientClipper(.autoclip(percentile: 50, history: 3), model: m)
        // Norms 1, 3, 2 then 100: the window holds [3, 2, 100]; the median is 3.
        for n in [1.0, 3, 2] { _ = clipper.apply(norm: n, nonfinite: 0) }
        let r = clipper.apply(norm: 100, nonfinite: 0)
        #expect(r.threshold == 3)
        #expect(abs(r.coefficient - 3 / (100 + 1e-6)) < 1e-12)
        #expect(GradientClipper.percentile([1, 2, 3, 4], 10) == 1.3)
    }

    @Test func zclipClipsSpikesAfterWarmup() {
        let m = Self.model(grads: Self.g)
        let clipper = GradientClipper(.zclip(alpha: 0.97, zThreshold: 2.5, warmup: 4, clipFactor: 1, maxNorm: nil, mode: .reciprocal), model: m)
        for n in [1.0, 1.2, 0.8, 1.0] { #expect(clipper.apply(norm: n, nonfinite: 0).coefficient == 1) }
        // μ = 1, σ² = 0.02; z = (10 − 1)/(σ + 1e-6), limit μ + 2.5²σ/z.
        let sigma = 0.02.squareRoot(), z = 9 / (sigma + 1e-6)
        let r = clipper.apply(norm: 10, nonfinite: 0)
        let limit = 1 + 6.25 * sigma / z
        #expect(abs(r.threshold! - limit) < 1e-12)
        #expect(abs(r.coefficient - limit / (10 + 1e-6)) < 1e-12)
    }

    @Test func softClippingSaturatesSmoothly() {
        for (n, c, tau) in [(3.0, 1.0, 1.0), (1000.0, 1.0, 0.5), (0.5, 1.0, 1.0)] {
            let scaled = Self.g.map { $0 * Float(n / Self.norm(Self.g)) }
            let m = Self.model(grads: scaled)
            let r = GradientClipper(.soft(threshold: c, softness: tau), model: m).apply(norm: n, nonfinite: 0)
            let expected = n <= c ? n : c + tau * (1 - exp(-(n - c) / tau))
            #expect(abs(Self.norm(Self.grads(m)) - expected) < 1e-5 * max(expected, 1))
            #expect(r.normAfter <= c + tau)
        }
    }
}
