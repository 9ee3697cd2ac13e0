import GradscopeEngine

/// A bounded memory of a run's step records, for charts and for looking
/// back at what happened, while the full stream goes to its consumer.
///
/// - the most recent `recent` records at full resolution;
/// - older records decimated: every `stride`-th step kept, the stride
///   doubling whenever more than `older` would be kept, so the whole run
///   stays covered evenly;
/// - around every alert, the `margin` records before and after it at full
///   resolution, with their batches' sample indices (unlike TensorBoard's
///   random reservoir, which may drop exactly those steps), up to `pinnedLimit`.
///
/// With the defaults at most 128 + 256 + 1024 records are held, whatever the
/// run's length.
public struct RunHistory: Sendable {
    public let recent: Int, older: Int, margin: Int, pinnedLimit: Int
    private var ring: [StepRecord] = []
    private var decimated: [StepRecord] = []
    private var pinned: [Int: StepRecord] = [:]
    private var stride = 1
    /// Records after an alert still to be pinned.
    private var pinNext = 0

    public init(recent: Int = 128, older: Int = 256, margin: Int = 8, pinnedLimit: Int = 1024) {
        self.recent = recent
        self.older = older
        self.margin = margin
        self.pinnedLimit = pinnedLimit
    }

    public mutating func append(_ r: StepRecord) {
        if pinNext > 0 {
            pin(r)
            pinNext -= 1
        }
        ring.append(r)
        guard ring.count > recent else { return }
        let leaving = ring.removeFirst()
        guard leaving.step % stride == 0 else { return }
        decimated.append(leaving)
        while decimated.count > older {
            stride *= 2
            decimated.removeAll { $0.step % stride != 0 }
        }
    }

    /// Keeps the records around an alert at `step`: the last `margin` seen
    /// and the next `margin` to come.
    public mutating func markAlert(at step: Int) {
        for r in ring.suffix(margin + 1) where r.step <= step { pin(r) }
        pinNext = max(pinNext, margin)
    }

    private mutating func pin(_ r: StepRecord) {
        if pinned.count < pinnedLimit || pinned[r.step] != nil { pinned[r.step] = r }
    }

    /// Every record held, in step order, each once.
    public var records: [StepRecord] {
        var byStep: [Int: StepRecord] = [:]
        for r in decimated { byStep[r.step] = r }
        for (s, r) in pinned { byStep[s] = r }
        for r in ring { byStep[r.step] = r }
        return byStep.keys.sorted().map { byStep[$0]! }
    }

    public var count: Int { records.count }
    /// The steps held at full resolution because an alert was near.
    public var pinnedSteps: [Int] { pinned.keys.sorted() }
}
