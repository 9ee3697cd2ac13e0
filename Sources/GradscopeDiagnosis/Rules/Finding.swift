/// What a rule saw on one step: where, the number that triggered it, the
/// threshold it crossed, and a sentence a user can act on.
struct Finding: Sendable {
    var step: Int
    var layer: String?
    var value: Double?
    var threshold: Double?
    var message: String
}

/// A condition judged on recorded steps (the depth and time rules). It is
/// confirmed once it holds on `Thresholds.streak` consecutive judged steps,
/// dated from the first of them, so that the first step of a run that
/// settles by itself is not an alarm.
struct Persistence: Sendable {
    /// Steps the condition was judged on, and held on.
    private(set) var judged = 0, holds = 0
    /// The first step of the first confirmed streak: the onset.
    private(set) var onset: Finding?
    /// The first step it held on, confirmed or not.
    private(set) var first: Finding?
    /// Whether it held on the first judged step: the net as initialised,
    /// before any update has had a chance to settle it.
    private(set) var heldAtStart = false
    private var streak: (start: Finding, length: Int)?

    /// Feeds one judged step's finding (nil: the condition does not hold);
    /// returns the onset when this step confirms it for the first time.
    mutating func observe(_ finding: Finding?) -> Finding? {
        judged += 1
        if judged == 1 { heldAtStart = finding != nil }
        guard let finding else { streak = nil; return nil }
        holds += 1
        if first == nil { first = finding }
        let current: (start: Finding, length: Int) = streak.map { ($0.start, $0.length + 1) } ?? (finding, 1)
        streak = current
        guard onset == nil, current.length >= Thresholds.streak else { return nil }
        onset = current.start
        return onset
    }

    /// How many consecutive judged steps it holds on now.
    var streakLength: Int { streak?.length ?? 0 }

    /// Where the condition dates from in a run that does not learn: its
    /// confirmed onset, or its first sighting when that was the net as
    /// initialised (the first judged step). Nothing settled there; an
    /// initialisation that sends the first updates astray is the cause even
    /// when the net then changes state.
    var onsetInAStalledRun: Finding? {
        guard heldAtStart, let first else { return onset }
        return first
    }

    /// Held on at least `Thresholds.persistentShare` of the judged steps.
    var persistent: Bool { onset != nil && Double(holds) >= Thresholds.persistentShare * Double(judged) }
}
