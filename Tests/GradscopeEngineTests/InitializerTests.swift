import Foundation
import Testing
@testable import GradscopeEngine

/// Initialisers against torch.nn.init's formulas: bounds and moments of a
/// large sample, orthogonality, gains.
struct InitializerTests {
    static func sample(_ i: Initializer, rows: Int = 300, cols: Int = 200) -> (min: Double, max: Double, mean: Double, std: Double) {
        let t = Tensor(rows: rows, cols: cols)
        var r = Random(seed: 1)
        i.fill(t, fanIn: cols, fanOut: rows, random: &r)
        let v = t.array.map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        return (v.min()!, v.max()!, mean, std)
    }

    @Test func gainsAreTorchCalculateGain() {
        #expect(Initializer.gain(for: .tanh) == 5.0 / 3)
        #expect(Initializer.gain(for: .relu) == 2.0.squareRoot())
        #expect(abs(Initializer.gain(for: .leakyRelu, slope: 0.2) - (2 / 1.04).squareRoot()) < 1e-12)
        #expect(Initializer.gain(for: .sigmoid) == 1)
        #expect(Initializer.gain(for: nil) == 1)
    }

    @Test func uniformFamiliesStayWithinTheirBounds() {
        let cases: [(Initializer, Double)] = [
            (.pytorchDefault, 1 / 200.0.squareRoot()),
            (.xavierUniform(gain: 2), 2 * (6.0 / 500).squareRoot()),
            (.kaimingUniform(gain: 2.0.squareRoot(), mode: .fanIn), (6.0 / 200).squareRoot()),
            (.kaimingUniform(gain: 1, mode: .fanOut), (3.0 / 300).squareRoot()),
            (.uniform(low: -0.3, high: 0.3), 0.3),
        ]
        for (initializer, bound) in cases {
            let s = Self.sample(initializer)
            #expect(s.min >= -bound && s.max <= bound, "\(initializer)")
            // Close to the bound on both sides, and std of U(-b, b) = b/√3.
            #expect(s.max > 0.99 * bound && s.min < -0.99 * bound, "\(initializer)")
            #expect(abs(s.std - bound / 3.0.squareRoot()) < 0.02 * bound, "\(initializer)")
        }
    }

    @Test func normalFamiliesHaveTheirStandardDeviation() {
        let cases: [(Initializer, Double, Double)] = [
            (.xavierNormal(gain: 1), 0, (2.0 / 500).squareRoot()),
            (.kaimingNormal(gain: 2.0.squareRoot(), mode: .fanIn), 0, (2.0 / 200).squareRoot()),
            (.kaimingNormal(gain: 1, mode: .fanOut), 0, (1.0 / 300).squareRoot()),
            (.normal(mean: 0.5, std: 2), 0.5, 2),
        ]
        for (initializer, mean, std) in cases {
            let s = Self.sample(initializer)
            #expect(abs(s.mean - mean) < 0.02 * std + 1e-3, "\(initializer)")
            #expect(abs(s.std - std) < 0.02 * std, "\(initializer)")
        }
    }

    @Test(arguments: [(4, 7), (7, 4), (5, 5)])
    func orthogonalHasOrthonormalRowsOrColumns(rows: Int, cols: Int) {
        let t = Tensor(rows: rows, cols: cols)
        var r = Random(seed: 3)
        Initializer.orthogonal(gain: 1.5).fill(t, fanIn: cols, fanOut: rows, random: &r)
        // Wide: W·Wᵀ = g²·I; tall: Wᵀ·W = g²·I.
        let n = min(rows, cols)
        for a in 0..<n {
            for b in 0..<n {
                var dot = 0.0
                if rows <= cols { for k in 0..<cols { dot += Double(t[a * cols + k] * t[b * cols + k]) } }
                else { for k in 0..<rows { dot += Double(t[k * cols + a] * t[k * cols + b]) } }
                #expect(abs(dot - (a == b ? 2.25 : 0)) < 1e-5)
            }
        }
    }

    @Test func constantAndZerosFill() {
        let t = Tensor(shape: [3])
        var r = Random(seed: 0)
        Initializer.constant(-1).fill(t, fanIn: 1, fanOut: 3, random: &r)
        #expect(t.array == [-1, -1, -1])
        Initializer.zeros.fill(t, fanIn: 1, fanOut: 3, random: &r)
        #expect(t.array == [0, 0, 0])
    }
}
