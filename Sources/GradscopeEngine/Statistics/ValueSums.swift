/// Σx, Σ|x|, Σx² and max |x| over the finite values of some floats (in
/// Double: a float32 square overflows from |x| ≈ 1.8e19), and how many are
/// NaN and how many ±Inf.
///
/// Values are taken in blocks of at most `block`, each summed in float,
/// eight lanes at a time (64 values a lane: relative error ~1e-6, well
/// inside what a statistic needs), then added in Double. A block whose float
/// sums are not finite (a NaN or ±Inf in it, or squares beyond float range)
/// is summed again value by value in Double, skipping NaN and ±Inf. Float
/// lanes are a quarter of the vector instructions of Double ones on the SSE
/// baseline the package is compiled for.
struct ValueSums {
    static let block = 512
    var sum = 0.0, magnitudes = 0.0, squares = 0.0, largest: Float = 0
    var nans = 0, infinities = 0

    init() {}

    init(_ x: UnsafePointer<Float>, _ n: Int) { add(x, n) }

    /// Adds x[0..<n]; `perBlock` sees each block right after it is summed,
    /// while it is in L1.
    mutating func add(_ x: UnsafePointer<Float>, _ n: Int, perBlock: (UnsafePointer<Float>, Int) -> Void = { _, _ in }) {
        var start = 0
        while start < n {
            let count = min(Self.block, n - start)
            addBlock(x + start, count)
            perBlock(x + start, count)
            start += count
        }
    }

    var nonfinite: Int { nans + infinities }

    private mutating func addBlock(_ x: UnsafePointer<Float>, _ n: Int) {
        var s = SIMD8<Float>(), mag = SIMD8<Float>(), sq = SIMD8<Float>(), big = SIMD8<Float>()
        let raw = UnsafeRawPointer(x)
        var k = 0
        while k + 8 <= n {
            let bits = raw.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<UInt32>.self)
            let v = unsafeBitCast(bits, to: SIMD8<Float>.self), a = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD8<Float>.self)
            s += v
            mag += a
            sq += a * a
            big.replace(with: a, where: a .> big)
            k += 8
        }
        var blockSum = Double(s.sum()), blockMagnitudes = Double(mag.sum()), blockSquares = Double(sq.sum())
        var blockLargest = big.max()
        for i in k..<n {
            let d = Double(x[i])
            blockSum += d
            blockMagnitudes += abs(d)
            blockSquares += d * d
            blockLargest = max(blockLargest, abs(x[i]))
        }
        guard blockSquares.isFinite && blockMagnitudes.isFinite && blockLargest.isFinite else {
            return addFinite(x, n)
        }
        sum += blockSum
        magnitudes += blockMagnitudes
        squares += blockSquares
        largest = max(largest, blockLargest)
    }

    private mutating func addFinite(_ x: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let v = x[i]
            guard v.isFinite else {
                if v.isNaN { nans += 1 } else { infinities += 1 }
                continue
            }
            let d = Double(v)
            sum += d
            magnitudes += abs(d)
            squares += d * d
            largest = max(largest, abs(v))
        }
    }
}
