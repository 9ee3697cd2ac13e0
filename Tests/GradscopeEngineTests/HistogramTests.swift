import Foundation
import Testing
@testable import GradscopeEngine

struct HistogramTests {
    let edges = HistogramEdges()

    @Test func defaultEdgesAreFourPerDecadeFrom1e12To1e4() {
        #expect(edges.bins == 64)
        #expect(edges.edges.count == 65)
        #expect(edges.edges[0] == Float(1e-12))
        #expect(edges.edges[4] == Float(1e-11))
        #expect(edges.edges[64] == Float(1e4))
    }

    /// Every edge value falls in the bin it opens, and the float just below
    /// it in the bin before: the lookup table never misplaces a value.
    @Test func valuesAtAndBelowEdgesLandInTheRightBin() {
        for i in 1..<edges.bins {
            let e = edges.edges[i]
            #expect(edges.slot(of: e) == i)
            #expect(edges.slot(of: -e.nextDown) == i - 1)
        }
        #expect(edges.slot(of: edges.edges[0]) == 0)
        #expect(edges.slot(of: edges.edges[0].nextDown) == edges.underflowSlot)
        #expect(edges.slot(of: edges.edges[64].nextDown) == 63)
        #expect(edges.slot(of: edges.edges[64]) == edges.overflowSlot)
        #expect(edges.slot(of: 0) == edges.zeroSlot && edges.slot(of: -0.0) == edges.zeroSlot)
        #expect(edges.slot(of: .nan) == edges.nonfiniteSlot && edges.slot(of: -.infinity) == edges.nonfiniteSlot)
        #expect(edges.slot(of: .leastNonzeroMagnitude) == edges.underflowSlot)
    }

    /// The table against the definition on random bit patterns (every
    /// exponent, subnormals and NaN payloads included), for odd bin counts too.
    @Test(arguments: [64, 7, 300])
    func tableAgreesWithTheDefinition(bins: Int) {
        let e = HistogramEdges(bins: bins, low: 1e-9, high: 3e2)
        var r = Random(seed: UInt64(bins))
        for _ in 0..<50_000 {
            let g = Float(bitPattern: UInt32(truncatingIfNeeded: r.next()))
            #expect(e.slot(of: g) == HistogramEdges.exactSlot(abs(g), e.edges))
        }
    }

    @Test func binsAgreeWithLog10OnRandomMagnitudes() {
        var r = Random(seed: 9)
        for _ in 0..<20_000 {
            let a = Float(pow(10, r.uniform(-12, 4)))
            guard a >= edges.edges[0] && a < edges.edges[64] else { continue }
            let i = edges.slot(of: a)
            #expect(edges.edges[i] <= a && a < edges.edges[i + 1])
        }
    }

    @Test func specialValuesAreCountedApart() {
        let p = Parameter(name: "weight", shape: [8])
        p.grad.copy(from: [0, -0.0, 1e-20, 5e5, .nan, .infinity, -1e-3, 1e-3])
        var h = Histogram(bins: 64)
        let (stats, squares) = GradientStatistics.measure(p, name: "weight", edges: edges, into: &h)
        #expect(h.zero == 2 && h.underflow == 1 && h.overflow == 1 && h.nonfinite == 2)
        #expect(h.counts.reduce(0, +) == 2)
        #expect(h.counts[36] == 2)  // 1e-3 = 10^(-12 + 36/4)
        #expect(h.total == 8)
        #expect(stats.nanCount == 1 && stats.infCount == 1)
        #expect(stats.zeroFraction == 0.25)
        #expect(abs(squares - (1e-40 + 25e10 + 2e-6)) / squares < 1e-6)
        #expect(stats.maxAbs == Double(Float(5e5)))
    }

    /// The single pass (eight lanes, then a tail) against a plain loop.
    @Test func sumsAndCountsMatchAPlainLoop() {
        var r = Random(seed: 8)
        for n in [1, 7, 8, 13, 1000] {
            let values = (0..<n).map { _ in Float(r.normal() * pow(10, r.uniform(-8, 2))) }
            let p = Parameter(name: "w", shape: [n])
            p.grad.copy(from: values)
            var h = Histogram(bins: 64)
            let (stats, squares) = GradientStatistics.measure(p, name: "w", edges: edges, into: &h)
            let plainSquares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(squares - plainSquares) <= 1e-12 * plainSquares)
            #expect(abs(stats.meanAbs - values.reduce(0.0) { $0 + Double(abs($1)) } / Double(n)) <= 1e-9 * stats.meanAbs)
            #expect(stats.maxAbs == Double(values.map(abs).max()!))
            #expect(h.total == n)
            for (i, count) in h.counts.enumerated() {
                #expect(count == values.filter { abs($0) >= edges.edges[i] && abs($0) < edges.edges[i + 1] }.count)
            }
        }
    }

    @Test func hugeGradientsDoNotOverflowTheNorm() {
        let p = Parameter(name: "weight", shape: [2])
        p.grad.copy(from: [3e20, 4e20])
        var h = Histogram(bins: 64)
        let (stats, _) = GradientStatistics.measure(p, name: "weight", edges: edges, into: &h)
        #expect(abs(stats.gradNorm / 5e20 - 1) < 1e-6)
    }
}
