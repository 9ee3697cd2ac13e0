import Foundation

/// Recurrent layers as `torch.nn.RNN`, `torch.nn.LSTM` and `torch.nn.GRU`
/// with `batch_first=True`, h₀ = c₀ = 0, trained by backpropagation through
/// time (optionally truncated).
///
/// A sequence travels between layers as one row per sample: `[B, T·F]`,
/// time-major inside the row (the first F values are step 1). The layer
/// returns every step's hidden state `[B, T·H]` (`returnSequences`) or the
/// last one `[B, H]`, which is what `output[:, -1]` gives in PyTorch.
///
/// Parameters per stacked layer k, with PyTorch's names, shapes and gate
/// order (G gates: 1 for RNN, 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n)):
/// `weight_ih_lk [G·H, in]`, `weight_hh_lk [G·H, H]`, `bias_ih_lk [G·H]`,
/// `bias_hh_lk [G·H]`.
///
/// | cell | step |
/// |---|---|
/// | rnn  | h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu) |
/// | lstm | i, f, o = σ(·), g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c') |
/// | gru  | r, z = σ(·); n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)); h' = (1−z)⊙n + z⊙h |
///
/// Internally every sequence is time-major, `[T·B, ·]`, so step t is one
/// contiguous `[B, ·]` block: the input projections of all steps are one
/// matrix product, and so are the weight gradients after the backward sweep.
public final class Recurrent: Layer {
    public enum Cell: String, Sendable {
        case rnnTanh = "tanh", rnnRelu = "relu", lstm, gru

        /// The layer kind (the spec's `type`) of this cell.
        public var kind: LayerKind {
            switch self {
            case .rnnTanh, .rnnRelu: .rnn
            case .lstm: .lstm
            case .gru: .gru
            }
        }

        /// Gates per step: the row blocks of `weight_ih` and `weight_hh`.
        public var gates: Int {
            switch self {
            case .rnnTanh, .rnnRelu: 1
            case .lstm: 4
            case .gru: 3
            }
        }
    }

    public let name: String
    public let kind: LayerKind
    public let cell: Cell
    public let inputWidth: Int
    public let hidden: Int
    public let returnSequences: Bool
    /// Truncated BPTT: the gradient does not flow back across the boundaries
    /// of consecutive chunks of this many steps, as detaching the hidden (and
    /// cell) state every `tbptt` steps in PyTorch; the chunks' gradients are
    /// summed into the one update of the batch. Nil: full BPTT.
    public let tbptt: Int?
    let stack: [RecurrentStack]

    /// ‖∂L/∂h_t‖₂ over the batch for t = 1…T, per stacked layer, from the
    /// last backward pass: the total gradient reaching h_t, from the layers
    /// above and from step t+1.
    public private(set) var hiddenGradNorms: [[Double]]

    private let output = Tensor(rows: 0, cols: 0)
    private let inputGrad = Tensor(rows: 0, cols: 0)
    /// The input, time-major, and the gradient arriving at the top layer.
    private let sequenceInput = Tensor(rows: 0, cols: 0)
    private let topGrad = Tensor(rows: 0, cols: 0)
    private var steps = 0, batch = 0

    public init(name: String, cell: Cell, inputWidth: Int, hidden: Int, layers: Int = 1, bias: Bool = true,
                returnSequences: Bool = false, tbptt: Int? = nil) {
        precondition(layers >= 1 && hidden >= 1 && inputWidth >= 1)
        self.name = name
        self.cell = cell
        kind = cell.kind
        self.inputWidth = inputWidth
        self.hidden = hidden
        self.returnSequences = returnSequences
        self.tbptt = tbptt
        stack = (0..<layers).map { k in
            RecurrentStack(index: k, cell: cell, inputWidth: k == 0 ? inputWidth : hidden, hidden: hidden, bias: bias)
        }
        hiddenGradNorms = Array(repeating: [], count: layers)
    }

    public var parameters: [Parameter] { stack.flatMap(\.parameters) }

    /// The recurrent weights `weight_hh_lk`, one per stacked layer.
    public var recurrentWeights: [Parameter] { stack.map(\.weightHH) }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        let b = x.rows, f = inputWidth
        precondition(x.cols % f == 0, "\(name): a row of \(x.cols) values is not a sequence of \(f)-feature steps")
        let t = x.cols / f
        steps = t
        batch = b
        // [B, T·F] → time-major [T·B, F].
        sequenceInput.resize(rows: t * b, cols: f)
        for r in 0..<b {
            for s in 0..<t { (sequenceInput.data + (s * b + r) * f).update(from: x.data + r * t * f + s * f, count: f) }
        }
        var input = UnsafePointer(sequenceInput.data)
        for layer in stack {
            layer.forward(input, steps: t, batch: b)
            input = UnsafePointer(layer.outputs)
        }
        let top = stack.last!, h = hidden
        if returnSequences {
            output.resize(rows: b, cols: t * h)
            for r in 0..<b {
                for s in 0..<t { (output.data + r * t * h + s * h).update(from: top.outputs + (s * b + r) * h, count: h) }
            }
        } else {
            output.resize(rows: b, cols: h)
            output.data.update(from: top.outputs + (t - 1) * b * h, count: b * h)
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        let t = steps, b = batch, h = hidden
        topGrad.resize(rows: t * b, cols: h)
        if returnSequences {
            for r in 0..<b {
                for s in 0..<t { (topGrad.data + (s * b + r) * h).update(from: dy.data + r * t * h + s * h, count: h) }
            }
        } else {
            topGrad.fill(0)
            (topGrad.data + (t - 1) * b * h).update(from: dy.data, count: b * h)
        }
        var grad = UnsafePointer(topGrad.data)
        for (k, layer) in stack.enumerated().reversed() {
            let needs = k > 0 || needInputGradient
            hiddenGradNorms[k] = layer.backward(grad, steps: t, batch: b, tbptt: tbptt, needInputGradient: needs)
            grad = UnsafePointer(layer.inputGrad.data)
        }
        guard needInputGradient else { return nil }
        let f = inputWidth
        inputGrad.resize(rows: b, cols: t * f)
        for r in 0..<b {
            for s in 0..<t { (inputGrad.data + r * t * f + s * f).update(from: grad + (s * b + r) * f, count: f) }
        }
        return inputGrad
    }

    /// The largest singular value σ₁ of each `weight_hh_lk` (the matrix
    /// 2-norm, `torch.linalg.matrix_norm(W, 2)`), by power iteration on WᵀW
    /// warm-started from the previous call's vector, so a few iterations per
    /// recorded step track it as training moves the weights. σ₁ bounds the
    /// spectral radius; for a tanh RNN σ₁ < 1 is sufficient for long-range
    /// gradients to vanish and σ₁ > 1 necessary for them to explode
    /// (Pascanu et al. 2013).
    public func recurrentSpectralNorms(iterations: Int = 6) -> [Double] {
        stack.map { $0.spectralNorm(iterations: iterations) }
    }
}

/// One layer of a recurrent stack (`_lk`), with its sequence buffers.
final class RecurrentStack {
    let cell: Recurrent.Cell
    let inputWidth: Int, hidden: Int
    let weightIH: Parameter, weightHH: Parameter
    let biasIH: Parameter?, biasHH: Parameter?

    /// h₀…h_T time-major, `[(T+1)·B, H]`; block 0 is h₀ = 0.
    private let states = Tensor(rows: 0, cols: 0)
    /// Gate pre-activations, then (in place) their activations, `[T·B, G·H]`.
    private let gates = Tensor(rows: 0, cols: 0)
    /// LSTM: c₀…c_T `[(T+1)·B, H]`; GRU: W_hn h + b_hn per step `[T·B, H]`.
    private let extra = Tensor(rows: 0, cols: 0)
    /// LSTM: tanh(c_t) for t = 1…T `[T·B, H]`, kept for the backward pass.
    private let cellTanh = Tensor(rows: 0, cols: 0)
    /// GRU: the recurrent product of one step, `[B, G·H]`.
    private let recurrentProduct = Tensor(rows: 0, cols: 0)
    /// W_hhᵀ `[H, G·H]` for the forward pass, and what every row of the
    /// gate pre-activations starts from (the biases).
    private let recurrentTransposed = Tensor(rows: 0, cols: 0)
    private let rowStart = Tensor(rows: 0, cols: 0)
    /// ∂L/∂(pre-activations) of the input side `[T·B, G·H]`, and of the
    /// recurrent side where it differs (GRU's n gate is scaled by r).
    private let preGrad = Tensor(rows: 0, cols: 0)
    private let recurrentPreGrad = Tensor(rows: 0, cols: 0)
    /// ∂L/∂h_t (total), what flows to h_{t−1}, and LSTM's ∂L/∂c.
    private let stateGrad = Tensor(rows: 0, cols: 0)
    private let carry = Tensor(rows: 0, cols: 0)
    private let cellCarry = Tensor(rows: 0, cols: 0)
    let inputGrad = Tensor(rows: 0, cols: 0)
    private var input: UnsafePointer<Float>?
    /// Power iteration's current right singular vector estimate.
    private var probe: [Float] = []

    init(index k: Int, cell: Recurrent.Cell, inputWidth: Int, hidden: Int, bias: Bool) {
        self.cell = cell
        self.inputWidth = inputWidth
        self.hidden = hidden
        let gh = cell.gates * hidden
        weightIH = Parameter(name: "weight_ih_l\(k)", shape: [gh, inputWidth])
        weightHH = Parameter(name: "weight_hh_l\(k)", shape: [gh, hidden])
        biasIH = bias ? Parameter(name: "bias_ih_l\(k)", shape: [gh]) : nil
        biasHH = bias ? Parameter(name: "bias_hh_l\(k)", shape: [gh]) : nil
    }

    var parameters: [Parameter] { [weightIH, weightHH] + [biasIH, biasHH].compactMap { $0 } }

    /// h₁…h_T, time-major `[T·B, H]`.
    var outputs: UnsafeMutablePointer<Float> { states.data + batchRows * hidden }
    private var batchRows = 0

    // MARK: Forward

    func forward(_ x: UnsafePointer<Float>, steps t: Int, batch b: Int) {
        input = x
        batchRows = b
        let h = hidden, gh = cell.gates * h, n = t * b
        states.resize(rows: (t + 1) * b, cols: h)
        gates.resize(rows: n, cols: gh)
        states.data.update(repeating: 0, count: b * h)
        // Every step's input projection at once, starting from the biases.
        // RNN and LSTM fold b_hh in here too; GRU keeps it with W_hh h (its n gate needs r ⊙ (W_hn h + b_hn)).
        rowStart.resize(rows: 1, cols: gh)
        rowStart.fill(0)
        let g = gates.data, start = rowStart.data
        if let bi = biasIH { rowStart.copy(from: bi.value) }
        if let bh = biasHH, cell != .gru { for j in 0..<gh { start[j] += bh.value.data[j] } }
        for r in 0..<n { (g + r * gh).update(from: start, count: gh) }
        // W_hhᵀ once per pass: the per-step products are then plain (no
        // transpose), which OpenBLAS runs ~15–25% faster at these small sizes.
        recurrentTransposed.resize(rows: h, cols: gh)
        let w = weightHH.value.data, wt = recurrentTransposed.data
        for i in 0..<gh { for j in 0..<h { wt[j * gh + i] = w[i * h + j] } }
        gemm(transA: false, transB: true, m: n, n: gh, k: inputWidth, x, lda: inputWidth,
             weightIH.value.data, ldb: inputWidth, beta: 1, g, ldc: gh)
        switch cell {
        case .lstm:
            extra.resize(rows: (t + 1) * b, cols: h)
            extra.data.update(repeating: 0, count: b * h)
            cellTanh.resize(rows: n, cols: h)
        case .gru:
            extra.resize(rows: n, cols: h)
            recurrentProduct.resize(rows: b, cols: gh)
        default: break
        }
        for s in 0..<t {
            let hPrev = states.data + s * b * h, hNext = states.data + (s + 1) * b * h
            let step = g + s * b * gh
            if cell == .gru {
                gruStep(s, b: b, hPrev: hPrev, hNext: hNext, gates: step)
                continue
            }
            if s > 0 {
                gemm(transA: false, transB: false, m: b, n: gh, k: h, hPrev, lda: h,
                     wt, ldb: gh, beta: 1, step, ldc: gh)
            }
            switch cell {
            case .rnnTanh: VectorMath.tanh(step, hNext, count: b * h)
            case .rnnRelu: for i in 0..<(b * h) { hNext[i] = max(step[i], 0) }
            case .lstm:
                let cPrev = extra.data + s * b * h, cNext = extra.data + (s + 1) * b * h
                let tc = cellTanh.data + s * b * h
                for r in 0..<b {
                    // Gates in place: i and f are one block of 2H, then g, then o.
                    let row = step + r * gh, o = r * h
                    VectorMath.sigmoid(row, row, count: 2 * h)
                    VectorMath.tanh(row + 2 * h, row + 2 * h, count: h)
                    VectorMath.sigmoid(row + 3 * h, row + 3 * h, count: h)
                    for j in 0..<h { cNext[o + j] = row[h + j] * cPrev[o + j] + row[j] * row[2 * h + j] }
                }
                VectorMath.tanh(cNext, tc, count: b * h)
                for r in 0..<b {
                    let og = step + r * gh + 3 * h, o = r * h
                    for j in 0..<h { hNext[o + j] = og[j] * tc[o + j] }
                }
            case .gru: break
            }
        }
    }

    private func gruStep(_ s: Int, b: Int, hPrev: UnsafeMutablePointer<Float>, hNext: UnsafeMutablePointer<Float>,
                         gates step: UnsafeMutablePointer<Float>) {
        let h = hidden, gh = 3 * h
        let hh = recurrentProduct.data, hn = extra.data + s * b * h
        for r in 0..<b {
            let row = hh + r * gh
            if let bh = biasHH { row.update(from: bh.value.data, count: gh) } else { row.update(repeating: 0, count: gh) }
        }
        if s > 0 {
            gemm(transA: false, transB: false, m: b, n: gh, k: h, hPrev, lda: h, recurrentTransposed.data, ldb: gh,
                 beta: 1, hh, ldc: gh)
        }
        for r in 0..<b {
            // r and z from both sides, one block of 2H; then n = tanh(x_n + r ⊙ (W_hn h + b_hn)).
            let row = step + r * gh, rec = hh + r * gh, o = r * h
            for j in 0..<(2 * h) { row[j] += rec[j] }
            VectorMath.sigmoid(row, row, count: 2 * h)
            for j in 0..<h {
                let hnj = rec[2 * h + j]
                hn[o + j] = hnj
                row[2 * h + j] += row[j] * hnj
            }
            VectorMath.tanh(row + 2 * h, row + 2 * h, count: h)
            for j in 0..<h {
                let z = row[h + j]
                hNext[o + j] = (1 - z) * row[2 * h + j] + z * hPrev[o + j]
            }
        }
    }

    // MARK: Backward

    /// Back-propagates `dOut` (∂L/∂h_t from above, time-major `[T·B, H]`)
    /// through time, writes the parameter gradients and, when asked,
    /// ∂L/∂x into `inputGrad`. Returns ‖∂L/∂h_t‖ for t = 1…T.
    func backward(_ dOut: UnsafePointer<Float>, steps t: Int, batch b: Int, tbptt: Int?,
                  needInputGradient: Bool) -> [Double] {
        guard let x = input else { preconditionFailure("backward before forward") }
        let h = hidden, gh = cell.gates * h, n = t * b, bh = b * h
        preGrad.resize(rows: n, cols: gh)
        let recurrentGrad: Tensor = cell == .gru ? recurrentPreGrad : preGrad
        recurrentGrad.resize(rows: n, cols: gh)
        stateGrad.resize(rows: b, cols: h)
        carry.resize(rows: b, cols: h)
        carry.fill(0)
        if cell == .lstm { cellCarry.resize(rows: b, cols: h); cellCarry.fill(0) }
        var norms = [Double](repeating: 0, count: t)
        let dh = stateGrad.data
        for s in stride(from: t - 1, through: 0, by: -1) {
            let up = dOut + s * bh
            var sq = 0.0
            for i in 0..<bh { let v = up[i] + carry[i]; dh[i] = v; sq += Double(v) * Double(v) }
            norms[s] = sq.squareRoot()
            let da = preGrad.data + s * b * gh, step = gates.data + s * b * gh
            let hPrev = states.data + s * bh, hNext = states.data + (s + 1) * bh
            switch cell {
            case .rnnTanh: for i in 0..<bh { da[i] = dh[i] * (1 - hNext[i] * hNext[i]) }
            case .rnnRelu: for i in 0..<bh { da[i] = hNext[i] > 0 ? dh[i] : 0 }
            case .lstm:
                let cPrev = extra.data + s * bh, tcs = cellTanh.data + s * bh, dc = cellCarry.data
                for r in 0..<b {
                    let row = step + r * gh, d = da + r * gh, o = r * h
                    for j in 0..<h {
                        let i = row[j], f = row[h + j], gg = row[2 * h + j], og = row[3 * h + j]
                        let tc = tcs[o + j], g = dh[o + j]
                        let dcT = dc[o + j] + g * og * (1 - tc * tc)
                        d[j] = dcT * gg * i * (1 - i)
                        d[h + j] = dcT * cPrev[o + j] * f * (1 - f)
                        d[2 * h + j] = dcT * i * (1 - gg * gg)
                        d[3 * h + j] = g * tc * og * (1 - og)
                        dc[o + j] = dcT * f
                    }
                }
            case .gru:
                let hn = extra.data + s * bh, dRec = recurrentPreGrad.data + s * b * gh
                for r in 0..<b {
                    let row = step + r * gh, d = da + r * gh, dr = dRec + r * gh, o = r * h
                    for j in 0..<h {
                        let rg = row[j], z = row[h + j], ng = row[2 * h + j], g = dh[o + j]
                        let dn = g * (1 - z) * (1 - ng * ng)
                        let dz = g * (hPrev[o + j] - ng) * z * (1 - z)
                        let dReset = dn * hn[o + j] * rg * (1 - rg)
                        d[j] = dReset; d[h + j] = dz; d[2 * h + j] = dn
                        dr[j] = dReset; dr[h + j] = dz; dr[2 * h + j] = dn * rg
                    }
                }
            }
            // What reaches h_{t−1}: nothing before h₁, nor across a truncation boundary.
            if s == 0 || (tbptt.map { s % $0 == 0 } ?? false) {
                carry.fill(0)
                if cell == .lstm { cellCarry.fill(0) }
            } else {
                gemm(transA: false, transB: false, m: b, n: h, k: gh, recurrentGrad.data + s * b * gh, lda: gh,
                     weightHH.value.data, ldb: h, carry.data, ldc: h)
                if cell == .gru {
                    for r in 0..<b {
                        let z = step + r * gh + h, o = r * h
                        for j in 0..<h { carry[o + j] += dh[o + j] * z[j] }
                    }
                }
            }
        }
        // Weight gradients over all steps at once: dW_ih = Σ_t δ_tᵀ x_t, dW_hh = Σ_t δ_tᵀ h_{t−1}.
        gemm(transA: true, transB: false, m: gh, n: inputWidth, k: n, preGrad.data, lda: gh, x, ldb: inputWidth,
             weightIH.grad.data, ldc: inputWidth)
        gemm(transA: true, transB: false, m: gh, n: h, k: n, recurrentGrad.data, lda: gh, states.data, ldb: h,
             weightHH.grad.data, ldc: h)
        if let bi = biasIH { columnSums(preGrad.data, rows: n, cols: gh, into: bi.grad.data) }
        if let bhh = biasHH { columnSums(recurrentGrad.data, rows: n, cols: gh, into: bhh.grad.data) }
        if needInputGradient {
            inputGrad.resize(rows: n, cols: inputWidth)
            gemm(transA: false, transB: false, m: n, n: inputWidth, k: gh, preGrad.data, lda: gh,
                 weightIH.value.data, ldb: inputWidth, inputGrad.data, ldc: inputWidth)
        }
        return norms
    }

    // MARK: Spectral norm

    func spectralNorm(iterations: Int) -> Double {
        let rows = cell.gates * hidden, cols = hidden
        var rounds = iterations
        if probe.isEmpty {
            // A fixed start that is almost surely not orthogonal to the top singular vector.
            var random = Random(seed: 0x5EC7, stream: .probe)
            probe = (0..<cols).map { _ in Float(random.normal()) }
            rounds = max(iterations, 60)
        }
        var wv = [Float](repeating: 0, count: rows)
        var sigma = 0.0
        let w = weightHH.value.data
        for _ in 0..<rounds {
            normalize(&probe)
            gemv(transA: false, rows: rows, cols: cols, w, probe, &wv)
            sigma = norm(wv)
            gemv(transA: true, rows: rows, cols: cols, w, wv, &probe)
            if !sigma.isFinite || sigma == 0 { probe = []; return sigma }
        }
        return sigma
    }

    private func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
    private func normalize(_ v: inout [Float]) {
        let length = norm(v)
        guard length > 0 && length.isFinite else { return }
        for i in v.indices { v[i] = Float(Double(v[i]) / length) }
    }
}

/// How `weight_hh` starts. Orthogonal and identity apply to each gate's
/// `[H, H]` block; every scheme is then multiplied by `scale`, so a
/// recurrent matrix with σ₁ above 1 can be chosen on purpose.
public enum RecurrentInit: Sendable, Equatable {
    /// `reset_parameters` of `nn.RNN`/`LSTM`/`GRU`: U(±1/√H).
    case pytorchDefault
    /// A random orthogonal block per gate (Saxe et al. 2014).
    case orthogonal
    /// The identity per gate (Le, Jaitly & Hinton 2015, "IRNN").
    case identity
    /// N(0, std²), as Pascanu et al.'s `basic_tanh` (std 0.1).
    case normal(std: Double)
}

extension Recurrent {
    /// LSTM: the forget gate's `bias_ih` block set to `value` and its
    /// `bias_hh` block to 0, so the gate's total bias is `value`.
    public func setForgetBias(_ value: Float) {
        precondition(cell == .lstm)
        for layer in stack {
            guard let bi = layer.biasIH, let bh = layer.biasHH else { continue }
            (bi.value.data + hidden).update(repeating: value, count: hidden)
            (bh.value.data + hidden).update(repeating: 0, count: hidden)
        }
    }

    /// Initialises every stacked layer, in PyTorch's parameter order
    /// (W_ih, W_hh, b_ih, b_hh). Nil initialisers mean PyTorch's default,
    /// U(±1/√H) for every weight and bias.
    public func initialize(input: Initializer?, bias: Initializer?, recurrent: RecurrentInit, scale: Double,
                           random: inout Random) {
        let h = hidden
        for layer in stack {
            let gh = cell.gates * h
            // PyTorch's default bound is 1/√H for every tensor of the layer, not 1/√fan_in.
            if let input, input != .pytorchDefault {
                input.fill(layer.weightIH.value, fanIn: layer.inputWidth, fanOut: gh, random: &random)
            } else {
                Initializer.pytorchDefault.fill(layer.weightIH.value, fanIn: h, fanOut: gh, random: &random)
            }
            let w = layer.weightHH.value
            switch recurrent {
            case .pytorchDefault: Initializer.pytorchDefault.fill(w, fanIn: h, fanOut: gh, random: &random)
            case .normal(let std): Initializer.normal(mean: 0, std: std).fill(w, fanIn: h, fanOut: gh, random: &random)
            case .orthogonal, .identity:
                let block = Tensor(rows: h, cols: h)
                for g in 0..<cell.gates {
                    if recurrent == .orthogonal {
                        Initializer.orthogonal(gain: 1).fill(block, fanIn: h, fanOut: h, random: &random)
                    } else {
                        block.fill(0)
                        for i in 0..<h { block[i * h + i] = 1 }
                    }
                    (w.data + g * h * h).update(from: block.data, count: h * h)
                }
            }
            if scale != 1 { for i in 0..<w.count { w[i] *= Float(scale) } }
            for b in [layer.biasIH, layer.biasHH].compactMap({ $0 }) {
                (bias ?? .pytorchDefault).fill(b.value, fanIn: h, fanOut: gh, random: &random)
            }
        }
    }
}
