/// An in-memory table: `count` rows of `features` inputs (row-major) and
/// their targets.
public struct Dataset: Sendable {
    public var features: Int
    public var inputs: [Float]
    public var targets: Targets
    /// Set for sequence data: each row is this many time steps of
    /// `features / sequenceLength` values each, time-major (step 1 first).
    public var sequenceLength: Int? {
        didSet { if let t = sequenceLength { precondition(t > 0 && features % t == 0, "\(t) steps do not divide \(features) features") } }
    }

    public init(features: Int, inputs: [Float], targets: Targets, sequenceLength: Int? = nil) {
        precondition(features > 0 && inputs.count % features == 0)
        precondition(inputs.count / features == targets.count, "inputs and targets differ in rows")
        self.features = features
        self.inputs = inputs
        self.targets = targets
        if let sequenceLength { precondition(sequenceLength > 0 && features % sequenceLength == 0) }
        self.sequenceLength = sequenceLength
    }

    public var count: Int { inputs.count / features }

    // @inline(never) on these two: inlined into GradscopeSpec's Job.build,
    // Swift 6.3.1's optimizer crashed ("Found ownership error", CopyPropagation).

    /// Number of classes, or nil for regression.
    public var classes: Int? {
        @inline(never) get {
            if case .labels(_, let c) = targets { return c }
            return nil
        }
    }

    /// Output width a model needs: one logit per class, or one per target value.
    public var targetWidth: Int {
        @inline(never) get {
            switch targets {
            case .labels(_, let c): c
            case .values(_, let w): w
            }
        }
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var x = [Float]()
        x.reserveCapacity(indices.count * features)
        for i in indices { x.append(contentsOf: inputs[(i * features)..<((i + 1) * features)]) }
        switch targets {
        case .labels(let l, let c):
            return Dataset(features: features, inputs: x, targets: .labels(indices.map { l[$0] }, classes: c),
                           sequenceLength: sequenceLength)
        case .values(let v, let w):
            var y = [Float]()
            y.reserveCapacity(indices.count * w)
            for i in indices { y.append(contentsOf: v[(i * w)..<((i + 1) * w)]) }
            return Dataset(features: features, inputs: x, targets: .values(y, width: w), sequenceLength: sequenceLength)
        }
    }

    /// A seeded shuffle, then the last ⌈fraction·count⌉ rows held out for
    /// validation (none when the fraction is 0).
    public func split(validationFraction: Double, random: inout Random) -> (train: Dataset, validation: Dataset?) {
        guard validationFraction > 0 else { return (self, nil) }
        var order = Array(0..<count)
        random.shuffle(&order)
        let train = Self.splitSizes(count, validationFraction: validationFraction).train
        return (subset(Array(order[..<train])), subset(Array(order[train...])))
    }

    /// The sizes of `split`'s training and validation sets for `count` rows:
    /// at least one row on each side of a split.
    public static func splitSizes(_ count: Int, validationFraction: Double) -> (train: Int, validation: Int) {
        guard validationFraction > 0 else { return (count, 0) }
        let held = min(max(Int((validationFraction * Double(count)).rounded(.up)), 1), count - 1)
        return (count - held, held)
    }

    /// Standardises every input column to mean 0 and standard deviation 1
    /// with statistics from this dataset (constant columns are only centred),
    /// and returns the (mean, std) used so other splits can reuse them.
    @discardableResult
    public mutating func standardize(using stats: [(mean: Double, std: Double)]? = nil) -> [(mean: Double, std: Double)] {
        let f = features, n = count
        let columns = stats ?? (0..<f).map { j in
            var sum = 0.0, sq = 0.0
            for r in 0..<n { let v = Double(inputs[r * f + j]); sum += v; sq += v * v }
            let mean = sum / Double(max(n, 1))
            let std = max(sq / Double(max(n, 1)) - mean * mean, 0).squareRoot()
            return (mean, std)
        }
        for r in 0..<n {
            for j in 0..<f {
                let (mean, std) = columns[j]
                inputs[r * f + j] = Float((Double(inputs[r * f + j]) - mean) / (std > 0 ? std : 1))
            }
        }
        return columns
    }
}
