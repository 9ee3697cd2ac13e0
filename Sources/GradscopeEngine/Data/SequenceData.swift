/// The classic long-range sequence tasks, deterministic from the job's seed,
/// as defined by the official code of Pascanu, Mikolov & Bengio (2013),
/// `pascanur/trainingRNNs` (docs/algorithms.md §8), with a fixed length T.
/// Rows are time-major: step 1's features first. randint(k) ∈ {0…k−1}.
public enum SequenceData {
    /// The adding problem: 2 channels per step, channel 0 a marker (1 at two
    /// positions, 0 elsewhere), channel 1 a value U[0, 1). Markers at
    /// p0 = randint(⌊T/10⌋) and p1 = ⌊T/10⌋ + randint(⌊2T/5⌋); the target is the
    /// mean of the two marked values (regression, read at the last step).
    /// Predicting 0.5 scores an MSE of 1/24 ≈ 0.042, the baseline to beat.
    public static func adding(samples: Int, length t: Int, random: inout Random) -> Dataset {
        precondition(t >= 10)
        var x = [Float](repeating: 0, count: samples * t * 2), y = [Float]()
        for s in 0..<samples {
            let row = s * t * 2
            for k in 0..<t { x[row + 2 * k + 1] = Float(random.uniform(0, 1)) }
            let p0 = random.below(t / 10), p1 = t / 10 + random.below(2 * t / 5)
            x[row + 2 * p0] = 1
            x[row + 2 * p1] = 1
            y.append((x[row + 2 * p0 + 1] + x[row + 2 * p1 + 1]) / 2)
        }
        return Dataset(features: t * 2, inputs: x, targets: .values(y, width: 1), sequenceLength: t)
    }

    /// The temporal-order problem: 6 one-hot channels (0 = A, 1 = B, 2–5 the
    /// distractors c, d, e, f). Every step shows a random distractor except
    /// p0 = ⌊T/10⌋ + randint(⌊T/10⌋) and p1 = ⌊T/2⌋ + randint(⌊T/10⌋), which show
    /// v0, v1 ∈ {A, B}; the class is v0 + 2·v1 (4 classes, chance 25%).
    public static func temporalOrder(samples: Int, length t: Int, random: inout Random) -> Dataset {
        precondition(t >= 10)
        var x = [Float](repeating: 0, count: samples * t * 6), y = [Int32]()
        for s in 0..<samples {
            let row = s * t * 6
            var symbols = (0..<t).map { _ in 2 + random.below(4) }
            let p0 = t / 10 + random.below(t / 10), p1 = t / 2 + random.below(t / 10)
            let v0 = random.below(2), v1 = random.below(2)
            symbols[p0] = v0
            symbols[p1] = v1
            for (k, symbol) in symbols.enumerated() { x[row + 6 * k + symbol] = 1 }
            y.append(Int32(v0 + 2 * v1))
        }
        return Dataset(features: t * 6, inputs: x, targets: .labels(y, classes: 4), sequenceLength: t)
    }

    /// The memory task (Pascanu et al.'s "random permutation"): one-hot
    /// symbols from an alphabet of `symbols` (100 in the paper); step 1 shows
    /// 0 or 1, the other steps random symbols from 2 up; the class is the
    /// first symbol (2 classes), so the net must carry one bit across T steps.
    public static func memory(samples: Int, length t: Int, symbols: Int, random: inout Random) -> Dataset {
        precondition(t >= 2 && symbols >= 3)
        var x = [Float](repeating: 0, count: samples * t * symbols), y = [Int32]()
        for s in 0..<samples {
            let row = s * t * symbols
            let first = random.below(2)
            x[row + first] = 1
            for k in 1..<t { x[row + k * symbols + 2 + random.below(symbols - 2)] = 1 }
            y.append(Int32(first))
        }
        return Dataset(features: t * symbols, inputs: x, targets: .labels(y, classes: 2), sequenceLength: t)
    }
}
