/// Which step records a chart of at most `points` points shows
/// (`GET /api/jobs/{id}/steps?points=N`): the records are cut, in step
/// order, into `points / 3` buckets as PostgreSQL's `ntile` cuts them
/// (sizes differ by at most one, the larger first), and each bucket keeps
/// its first record, its largest gradient norm (a spike is never averaged
/// away) and its first record with a NaN/Inf (a run never looks finite
/// when it was not). Both backends keep exactly these; the database
/// backend computes them in SQL (`PostgresBackend.chart`).
public enum ChartSample {
    public struct Point: Sendable {
        public var step: Int
        public var gradNorm: Double?
        public var nonfinite: Bool
        public init(step: Int, gradNorm: Double?, nonfinite: Bool) {
            self.step = step
            self.gradNorm = gradNorm
            self.nonfinite = nonfinite
        }
    }

    public static func buckets(points: Int) -> Int { max(1, points / 3) }

    /// The indices kept of `records`, which are in step order.
    public static func kept(_ records: [Point], points: Int) -> [Int] {
        let n = buckets(points: points), m = records.count
        guard m > 0 else { return [] }
        var kept: [Int] = []
        var start = 0
        for b in 0..<min(n, m) {
            let size = m / n + (b < m % n ? 1 : 0)
            let bucket = start..<(start + size)
            start += size
            var picks: Set<Int> = [bucket.lowerBound]
            // The largest finite norm, the earliest of equals; none finite: the first.
            var top = bucket.lowerBound, best: Double?
            for i in bucket { if let g = records[i].gradNorm, best.map({ g > $0 }) ?? true { best = g; top = i } }
            picks.insert(top)
            if let bad = bucket.first(where: { records[$0].nonfinite }) { picks.insert(bad) }
            kept += picks.sorted()
        }
        return kept
    }
}
