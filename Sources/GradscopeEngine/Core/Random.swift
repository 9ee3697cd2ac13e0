import Foundation

/// A seeded pseudo-random generator of our own, so that the same spec and seed
/// give bit-identical runs on any machine and any Swift version
/// (`SystemRandomNumberGenerator` and the standard library's shuffles are not
/// specified to be stable).
///
/// xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64 as its
/// authors recommend. Floating-point draws use only the top 24 (Float) or 53
/// (Double) bits, and normals use Box–Muller in Double, so results do not
/// depend on the platform's libm beyond `log`, `sqrt`, `cos` and `sin`.
public struct Random: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// An independent generator for one purpose (data, init, shuffling,
    /// dropout), so that e.g. changing the model does not change the data.
    public init(seed: UInt64, stream: Stream) {
        self.init(seed: seed ^ (stream.rawValue &* 0xD6E8_FEB8_6659_FD93))
    }

    public enum Stream: UInt64, Sendable {
        case data = 1, initialization = 2, shuffle = 3, dropout = 4, split = 5, probe = 6
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    public mutating func uniformDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Uniform in [0, 1) with float32 resolution.
    public mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }
    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniformDouble() }

    /// Standard normal by the Box–Muller transform.
    public mutating func normal() -> Double {
        if let spare = spareNormal { spareNormal = nil; return spare }
        var u1 = uniformDouble()
        while u1 <= Double.leastNormalMagnitude { u1 = uniformDouble() }
        let u2 = uniformDouble()
        let r = (-2 * log(u1)).squareRoot()
        spareNormal = r * sin(2 * .pi * u2)
        return r * cos(2 * .pi * u2)
    }

    /// Uniform integer in 0..<n without modulo bias (Lemire's method).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Fisher–Yates, defined here so the order is ours and never the stdlib's.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}
