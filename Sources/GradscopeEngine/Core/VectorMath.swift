/// exp, tanh and the logistic sigmoid over float32 arrays, eight lanes at a
/// time. glibc's `tanhf` and `expf` are scalar calls; an LSTM step makes five
/// per hidden unit and time step, and they took 38% of its time. These are
/// Cephes' single-precision algorithms (range reduction by ln 2 and a degree-6
/// polynomial for exp; a polynomial below |x| = 0.625 and 1 − 2/(e^{2|x|} + 1)
/// above it for tanh), accurate to about 2 ulp, which is what PyTorch's own
/// vectorised kernels (SLEEF) also trade for speed. `@_optimize(speed)` keeps
/// them fast in debug builds too, where SIMD code is otherwise many times
/// slower than the scalar calls it replaces.
public enum VectorMath {
    typealias V = SIMD8<Float>

    /// Inputs are clamped to [−104, 88.376]: below, float32's exp is 0;
    /// above 88.376 this returns 2.4e38 where exp would reach 3.4e38 and then
    /// overflow at 88.72, which tanh and sigmoid never see.
    @inline(__always) @_optimize(speed)
    static func exp(_ x: V) -> V {
        var x = x
        x.replace(with: 88.376_26, where: x .> 88.376_26)
        x.replace(with: -104, where: x .< -104)
        // n = round(x / ln 2) by adding 1.5·2²³, which leaves n in the low mantissa bits
        // (the stdlib's SIMD rounding and Int32 conversion go lane by lane); r = x − n·ln 2
        // in two parts for accuracy.
        let magic = V(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        x -= n * 0.693_359_375
        x -= n * -2.121_944_4e-4
        let z = x * x
        var y = V(repeating: 1.987_569_15e-4)
        y = y * x + 1.398_199_950_7e-3
        y = y * x + 8.333_451_907_3e-3
        y = y * x + 4.166_579_589_4e-2
        y = y * x + 1.666_666_545_9e-1
        y = y * x + 5.000_000_120_1e-1
        y = y * z + x + 1
        // 2^n from the exponent bits; n ∈ [−150, 128] after the clamp, so split it to stay in range.
        let k = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let half = k &>> 1
        let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let scaleB = unsafeBitCast((k &- half &+ 127) &<< 23, to: V.self)
        return y * scaleA * scaleB
    }

    @inline(__always) @_optimize(speed)
    static func tanh(_ x: V) -> V {
        let a = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: V.self)
        // Large |x|: 1 − 2/(e^{2|x|} + 1), with the sign of x (tanh saturates to ±1 past |x| ≈ 9).
        let e = exp(2 * a)
        var large = 1 - 2 / (e + 1)
        large.replace(with: -large, where: x .< 0)
        // Small |x|: x + x³·P(x²), no cancellation.
        let z = x * x
        var p = V(repeating: -5.704_988_727_45e-3)
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        let small = p * z * x + x
        var y = large
        y.replace(with: small, where: a .< 0.625)
        // NaN in, NaN out (the comparisons above are false for NaN).
        y.replace(with: x, where: x .!= x)
        return y
    }

    @inline(__always) @_optimize(speed)
    static func sigmoid(_ x: V) -> V {
        // e = e^(−|x|) ≤ 1: 1/(1 + e) for x ≥ 0, e/(1 + e) below, so neither side overflows.
        let e = exp(-unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: V.self))
        var y = 1 / (1 + e)
        y.replace(with: e * y, where: x .< 0)
        y.replace(with: x, where: x .!= x)  // NaN stays NaN, so divergence is still seen
        return y
    }

    /// y[i] = tanh(x[i]); `x` and `y` may be the same buffer.
    @_optimize(speed)
    public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        apply(x, y, n, tanh)
    }

    /// y[i] = 1 / (1 + e^(−x[i])); `x` and `y` may be the same buffer.
    @_optimize(speed)
    public static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        apply(x, y, n, sigmoid)
    }

    @inline(__always) @_optimize(speed)
    private static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (V) -> V) {
        let src = UnsafeRawPointer(x), dst = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 8 <= n {
            dst.storeBytes(of: f(src.loadUnaligned(fromByteOffset: i * 4, as: V.self)), toByteOffset: i * 4, as: V.self)
            i += 8
        }
        if i < n {
            // The tail through a zero-padded vector, so every element takes the same path.
            var tail = V()
            for k in 0..<(n - i) { tail[k] = x[i + k] }
            let r = f(tail)
            for k in 0..<(n - i) { y[i + k] = r[k] }
        }
    }
}
