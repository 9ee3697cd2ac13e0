/// How the rules' findings and the run's learning progress become one
/// verdict. The policy, in order:
///
/// 1. **Diverged** when the loss or a gradient went non-finite or the loss
///    reached 1e5 (`Diverged`).
/// 2. **Exploding** when a gradient spike damaged the run for good: the
///    loss rose after it by at least the learning gate's margin (medians of
///    10 steps before and after, `LearningProgress`) and at the end of the
///    run is still above what it was before the spike, however short the
///    spike. A setback the run recovers from is evidence.
/// 3. When the run does **not learn** (progress below 0.1 of the baseline),
///    every confirmed pathology counts, and so does one seen on the first
///    judged record (the net as initialised: a run that never learns did
///    not settle), and the one with the earliest onset decides: it came
///    first, and the others (a chaotic net whose huge first updates then
///    saturate it, say) follow from it. Ties go by precedence: exploding
///    over time, across depth, through time, then vanishing across depth
///    and through time.
/// 4. When the run **learns**, or is too short to tell, a pathology decides
///    only when it is persistent: it held on at least half of the steps it
///    was judged on. A confirmed explosion over time (two steps at 100× the
///    median) decides too when learning cannot be judged; in a run that
///    learns it is evidence, since a norm that jumps as a model starts to
///    learn is not a failure.
/// 5. Otherwise **healthy**, with every alert as evidence.
///
/// AUTOTRAINER (Zhang et al. 2021, `monitor.py`) gates its gradient
/// symptoms on training not converging in the same way; docs/diagnosis.md
/// explains the policy with examples.
enum VerdictPolicy {
    /// A pathology a rule confirmed or saw at the start, with its onset.
    struct Candidate {
        var rule: String
        var verdict: Verdict
        /// The confirmed onset, nil when it was only seen at the start.
        var onset: Finding?
        /// The onset that counts in a run that does not learn.
        var stalledOnset: Finding
        var persistent: Bool
        /// Read on every step (over time) rather than on recorded steps.
        var overTime = false
    }

    struct Decision {
        var verdict: Verdict
        var rule: String?
        var onset: Finding?
    }

    /// `candidates` in order of precedence.
    static func decide(diverged: Finding?, damage: Finding?, candidates: [Candidate],
                       learning: LearningProgress.Judgement?) -> Decision {
        if let diverged { return Decision(verdict: .diverged, rule: "diverged", onset: diverged) }
        if let damage { return Decision(verdict: .exploding, rule: "damaging_spike", onset: damage) }
        if let learning, !learning.learns {
            // The earliest onset; `min` keeps the first of equals, so ties go by precedence.
            if let first = candidates.min(by: { $0.stalledOnset.step < $1.stalledOnset.step }) {
                return Decision(verdict: first.verdict, rule: first.rule, onset: first.stalledOnset)
            }
        } else if let decisive = candidates.first(where: { $0.onset != nil && ($0.persistent || ($0.overTime && learning == nil)) }) {
            return Decision(verdict: decisive.verdict, rule: decisive.rule, onset: decisive.onset)
        }
        return Decision(verdict: .healthy)
    }
}
