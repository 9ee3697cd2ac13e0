/// The last `capacity` values, for a rolling median. The median is
/// recomputed every `refresh` appends rather than on each: a baseline that
/// lags by a few steps is as good a yardstick for "100× larger", and the
/// sort stays out of the per-step cost.
struct RollingWindow: Sendable {
    let capacity: Int
    let refresh: Int
    private var values: [Double] = []
    private var head = 0
    private var sinceRefresh = Int.max
    private var cachedMedian = 0.0

    init(capacity: Int, refresh: Int = 16) {
        self.capacity = capacity
        self.refresh = refresh
    }

    var count: Int { values.count }

    mutating func append(_ v: Double) {
        if values.count < capacity { values.append(v) } else {
            values[head] = v
            head = (head + 1) % capacity
        }
        sinceRefresh = sinceRefresh == Int.max ? Int.max : sinceRefresh + 1
    }

    /// The newest `k` values, oldest first.
    func last(_ k: Int) -> ArraySlice<Double> {
        let ordered = values.count < capacity ? values : Array(values[head...] + values[..<head])
        return ordered.suffix(k)
    }

    /// The median (the upper one for an even count) of the window as it was
    /// at most `refresh` appends ago.
    mutating func median() -> Double {
        if sinceRefresh >= refresh {
            let sorted = values.sorted()
            cachedMedian = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            sinceRefresh = 0
        }
        return cachedMedian
    }
}

/// The median (the upper one for an even count); 0 for no values.
func median(_ values: some Collection<Double>) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}
