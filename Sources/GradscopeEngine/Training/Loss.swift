import Foundation

/// Training targets of one batch or of a whole dataset.
public enum Targets: Sendable {
    /// Class indices 0..<classes.
    case labels([Int32], classes: Int)
    /// Real-valued targets, `width` per row, row-major.
    case values([Float], width: Int)

    public var count: Int {
        switch self {
        case .labels(let l, _): l.count
        case .values(let v, let w): v.count / max(w, 1)
        }
    }
}

/// Losses with `reduction='mean'`, as PyTorch (docs/algorithms.md §17).
public enum Loss: String, Sendable, CaseIterable {
    /// −log softmax(x)[y], averaged over rows; ∂L/∂x = (softmax(x) − onehot(y))/B.
    case crossEntropy = "cross_entropy"
    /// (x − y)², averaged over all B·K elements; ∂L/∂x = 2(x − y)/(B·K).
    case mse
    /// max(x, 0) − x·y + log(1 + e^{−|x|}), averaged over all elements;
    /// ∂L/∂x = (σ(x) − y)/(B·K). For class labels, y = label and K = 1.
    case bceWithLogits = "bce_with_logits"

    public struct Result {
        public var loss: Double
        /// Correct predictions in the batch (classification only).
        public var correct: Int?
    }

    /// Computes the loss of `output: [B, K]` against `targets` rows
    /// `rowIndices` (or 0..<B when nil) and writes ∂L/∂output into `grad`.
    public func evaluate(_ output: Tensor, _ targets: BatchTargets, grad: Tensor?) -> Result {
        let b = output.rows, k = output.cols, x = output.data
        grad?.resize(rows: b, cols: k)
        let g = grad?.data
        switch self {
        case .crossEntropy:
            guard case .labels(let labels) = targets else { preconditionFailure("cross_entropy needs labels") }
            var total = 0.0, correct = 0
            for r in 0..<b {
                let row = x + r * k
                var m = row[0], argmax = 0
                for j in 1..<max(k, 1) where row[j] > m { m = row[j]; argmax = j }
                var sum = 0.0
                for j in 0..<k { sum += Double(exp(row[j] - m)) }
                let logZ = Double(m) + log(sum)
                let y = Int(labels[r])
                total += logZ - Double(row[y])
                if argmax == y { correct += 1 }
                if let g {
                    let scale = 1 / Double(b)
                    for j in 0..<k {
                        let p = exp(Double(row[j]) - logZ)
                        g[r * k + j] = Float((p - (j == y ? 1 : 0)) * scale)
                    }
                }
            }
            return Result(loss: total / Double(b), correct: correct)
        case .mse:
            guard case .values(let y) = targets else { preconditionFailure("mse needs values") }
            var total = 0.0
            let scale = 2 / Float(b * k)
            for i in 0..<(b * k) {
                let d = x[i] - y[i]
                total += Double(d) * Double(d)
                g?[i] = scale * d
            }
            return Result(loss: total / Double(b * k), correct: nil)
        case .bceWithLogits:
            var total = 0.0, correct = 0
            let scale = 1 / Float(b * k)
            for i in 0..<(b * k) {
                let t: Float
                switch targets {
                case .labels(let l): t = Float(l[i])
                case .values(let v): t = v[i]
                }
                let z = x[i]
                total += Double(max(z, 0) - z * t + log1p(exp(-abs(z))))
                if (z > 0) == (t > 0.5) { correct += 1 }
                g?[i] = scale * (1 / (1 + exp(-z)) - t)
            }
            if case .labels = targets { return Result(loss: total / Double(b * k), correct: correct) }
            return Result(loss: total / Double(b * k), correct: nil)
        }
    }

    /// The loss of the best constant prediction on `targets`: what a model
    /// that learned nothing about its inputs scores, the yardstick for
    /// learning progress. Cross-entropy: the entropy of the label
    /// frequencies (ln C for C balanced classes); MSE: each target column's
    /// variance, averaged (the mean predictor); BCE: the binary entropy of
    /// each column's positive rate, averaged. Nil for no rows.
    public func constantPredictorLoss(_ targets: Targets) -> Double? {
        switch targets {
        case .labels(let labels, let classes):
            guard !labels.isEmpty else { return nil }
            var counts = [Int](repeating: 0, count: max(classes, 2))
            for l in labels where l >= 0 && Int(l) < counts.count { counts[Int(l)] += 1 }
            let shares = counts.map { Double($0) / Double(labels.count) }
            if self == .bceWithLogits { return binaryEntropy(shares[1]) }
            return shares.reduce(0) { $1 > 0 ? $0 - $1 * log($1) : $0 }
        case .values(let values, let width):
            let rows = values.count / max(width, 1)
            guard rows > 0 else { return nil }
            var total = 0.0
            for c in 0..<width {
                var mean = 0.0
                for r in 0..<rows { mean += Double(values[r * width + c]) }
                mean /= Double(rows)
                var spread = 0.0
                for r in 0..<rows { let d = Double(values[r * width + c]) - mean; spread += self == .bceWithLogits ? 0 : d * d }
                total += self == .bceWithLogits ? binaryEntropy(mean) : spread / Double(rows)
            }
            return total / Double(width)
        }
    }

    private func binaryEntropy(_ p: Double) -> Double {
        guard p > 0 && p < 1 else { return 0 }
        return -p * log(p) - (1 - p) * log(1 - p)
    }
}

/// The targets of one mini-batch, in the same row order as its inputs.
public enum BatchTargets {
    case labels(UnsafeBufferPointer<Int32>)
    case values(UnsafeBufferPointer<Float>)
}
