/// The last `capacity` values, for a rolling median.
struct RollingWindow {
    let capacity: Int
    private var values: [Double] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { values.count }

    mutating func append(_ v: Double) {
        if values.count < capacity { values.append(v) } else {
            values[head] = v
            head = (head + 1) % capacity
        }
    }

    /// The median (the upper one for an even count). O(n log n) on at most
    /// `capacity` values.
    func median() -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
