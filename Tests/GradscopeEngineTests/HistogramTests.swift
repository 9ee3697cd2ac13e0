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
    /// 4000 bins over two decades are narrower than a table key: keys with
    /// several edges fall back to the binary search.
    @Test(arguments: [(64, 1e-9, 3e2), (7, 1e-9, 3e2), (300, 1e-9, 3e2), (4000, 0.1, 10)])
    func tableAgreesWithTheDefinition(bins: Int, low: Double, high: Double) {
        let e = HistogramEdges(bins: bins, low: low, high: high)
        if bins == 4000 { #expect(e.table.contains(HistogramEdges.ambiguous)) }
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

    /// The blocked float-lane sums and the eight-lane counters against a
    /// plain Double loop; a tenth of the values are exact zeros and a tenth
    /// sit on or just below an edge (the table's split keys).
    @Test func sumsAndCountsMatchAPlainLoop() {
        var r = Random(seed: 8)
        for n in [1, 7, 8, 13, 1000, 5003] {
            let values = (0..<n).map { _ -> Float in
                switch r.uniform(0, 10) {
                case ..<1: return 0
                case ..<2:
                    let e = edges.edges[Int(r.uniform(0, 64))]
                    return r.uniform(0, 1) < 0.5 ? e : -e.nextDown
                default: return Float(r.normal() * pow(10, r.uniform(-8, 2)))
                }
            }
            let p = Parameter(name: "w", shape: [n])
            p.grad.copy(from: values)
            var h = Histogram(bins: 64)
            let (stats, squares) = GradientStatistics.measure(p, name: "w", edges: edges, into: &h)
            let plainSquares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(squares - plainSquares) <= 1e-6 * plainSquares)
            #expect(abs(stats.meanAbs - values.reduce(0.0) { $0 + Double(abs($1)) } / Double(n)) <= 1e-6 * stats.meanAbs)
            #expect(stats.maxAbs == Double(values.map(abs).max()!))
            #expect(h.total == n)
            #expect(h.zero == values.filter { $0 == 0 }.count)
            for (i, count) in h.counts.enumerated() {
                #expect(count == values.filter { abs($0) >= edges.edges[i] && abs($0) < edges.edges[i + 1] }.count)
            }
        }
    }

    /// A block with a NaN, an Inf or squares beyond float range is summed
    /// again in Double; the other blocks keep their float sums.
    @Test func blocksWithNonfiniteOrHugeValuesAreSummedInDouble() {
        var values = [Float](repeating: 0.5, count: 3 * ValueSums.block)
        values[10] = .nan
        values[ValueSums.block + 3] = 2e19  // 4e38 squared: beyond float
        values[2 * ValueSums.block + 7] = -.infinity
        let sums = values.withUnsafeBufferPointer { ValueSums($0.baseAddress!, $0.count) }
        let finite = values.filter(\.isFinite)
        #expect(sums.nans == 1 && sums.infinities == 1)
        #expect(abs(sums.squares / finite.reduce(0.0) { $0 + Double($1) * Double($1) } - 1) < 1e-6)
        #expect(abs(sums.sum / finite.reduce(0.0) { $0 + Double($1) } - 1) < 1e-6)
        #expect(sums.largest == 2e19)
    }

    @Test func hugeGradientsDoNotOverflowTheNorm() {
        let p = Parameter(name: "weight", shape: [2])
        p.grad.copy(from: [3e20, 4e20])
        var h = Histogram(bins: 64)
        let (stats, _) = GradientStatistics.measure(p, name: "weight", edges: edges, into: &h)
        #expect(abs(stats.gradNorm / 5e20 - 1) < 1e-6)
    }
}
