import Testing
@testable import GradscopeEngine

struct RandomTests {
    @Test func sameSeedGivesSameSequence() {
        var a = Random(seed: 42), b = Random(seed: 42), c = Random(seed: 43)
        let sa = (0..<100).map { _ in a.next() }, sb = (0..<100).map { _ in b.next() }
        #expect(sa == sb)
        #expect(sa != (0..<100).map { _ in c.next() })
    }

    /// Pins the generator to xoshiro256** seeded by SplitMix64, with values
    /// from an independent Python transcription of the reference algorithms:
    /// a change here would change every run's numbers.
    @Test func sequenceIsTheReferenceXoshiro256StarStar() {
        var r = Random(seed: 0)
        #expect((0..<3).map { _ in r.next() } == [11091344671253066420, 13793997310169335082, 1900383378846508768])
    }

    @Test func streamsAreIndependent() {
        var a = Random(seed: 7, stream: .data), b = Random(seed: 7, stream: .shuffle)
        #expect(a.next() != b.next())
    }

    @Test func drawsHaveTheRightMoments() {
        var r = Random(seed: 1)
        let n = 200_000
        var sum = 0.0, sq = 0.0, umin = 1.0, umax = 0.0
        for _ in 0..<n {
            let z = r.normal()
            sum += z
            sq += z * z
            let u = r.uniformDouble()
            umin = min(umin, u)
            umax = max(umax, u)
        }
        #expect(abs(sum / Double(n)) < 0.01)
        #expect(abs(sq / Double(n) - 1) < 0.02)
        #expect(umin >= 0 && umax < 1)
        let counts = (0..<60_000).reduce(into: [Int](repeating: 0, count: 6)) { c, _ in c[r.below(6)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
    }
}
