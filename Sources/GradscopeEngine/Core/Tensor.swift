internal import CBLAS

/// A float32 buffer with a shape, owned by reference so that layers can hand
/// their output to the next layer without copying. Storage is allocated once
/// and reused: `resize` reallocates only when a larger batch needs more room,
/// so a training loop allocates nothing per step.
///
/// Layout is row-major, as PyTorch's contiguous tensors: a batch of B rows of
/// F features is `[B, F]`, a dense weight is `[out, in]`.
public final class Tensor {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int

    public init(shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        capacity = max(count, 1)
        data = .allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "values do not fit shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    public convenience init(rows: Int, cols: Int) { self.init(shape: [rows, cols]) }

    deinit { data.deallocate() }

    /// For a 2-d tensor its two sizes; a 1-d tensor reads as one row.
    public var rows: Int { shape.count == 2 ? shape[0] : 1 }
    public var cols: Int { shape.count == 2 ? shape[1] : count }

    /// Reshapes to `[rows, cols]`, growing storage if needed. Contents are
    /// unspecified afterwards.
    public func resize(rows: Int, cols: Int) {
        if shape.count == 2 && shape[0] == rows && shape[1] == cols { return }
        let needed = rows * cols
        if needed > capacity {
            data.deallocate()
            capacity = needed
            data = .allocate(capacity: capacity)
            data.initialize(repeating: 0, count: capacity)
        }
        shape = [rows, cols]
        count = needed
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    public var array: [Float] { Array(buffer) }

    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
    public func copy(from other: Tensor) {
        precondition(other.count == count)
        data.update(from: other.data, count: count)
    }
    public func copy(from values: [Float]) {
        precondition(values.count == count)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }
}

/// C = alpha·op(A)·op(B) + beta·C for row-major matrices, through OpenBLAS.
/// `A` is m×k after `op`, `B` is k×n after `op`; leading dimensions are the
/// stored row lengths.
@inline(__always)
func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, _ a: UnsafePointer<Float>, lda: Int,
    _ b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// y = op(A)·x for a row-major `[rows, cols]` matrix, through OpenBLAS.
func gemv(transA: Bool, rows: Int, cols: Int, _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
          _ y: UnsafeMutablePointer<Float>) {
    cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols), 1, a, Int32(cols), x, 1, 0, y, 1)
}

/// Bias gradients: out[j] = Σ_r m[r, j] over a row-major `[rows, cols]` matrix.
func columnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    out.update(repeating: 0, count: cols)
    for r in 0..<rows {
        let row = m + r * cols
        for j in 0..<cols { out[j] += row[j] }
    }
}

/// The matrix library's settings that matter for speed.
public enum MatrixLibrary {
    /// The number of threads OpenBLAS may use for one product. A job runner
    /// sets it from its plan so that concurrent jobs do not oversubscribe the
    /// cores.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS chose at load time ("SkylakeX", "Haswell", …).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Kernel families older than x86-64-v3: what OpenBLAS falls back to on a
    /// processor it does not recognise.
    static let fallbackCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai"]

    /// The `OPENBLAS_CORETYPE` that would use this processor fully, when
    /// OpenBLAS fell back to an old kernel family. Debian 12's OpenBLAS 0.3.21
    /// does not know recent Xeons and runs SSE3 ("Prescott") kernels there, 5×
    /// slower than its AVX-512 ones. Nil when the choice is already right.
    public static var betterCoreType: String? {
        guard fallbackCores.contains(coreName.lowercased()) else { return nil }
        if gradscope_cpu_has_avx512() != 0 { return "SkylakeX" }
        if gradscope_cpu_has_avx2() != 0 { return "Haswell" }
        return nil
    }
}
