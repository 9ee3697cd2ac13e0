import Foundation
import Testing
@testable import GradscopeEngine

struct ScheduleTests {
    @Test func closedFormsMatchPyTorchSchedulers() {
        #expect(Schedule(baseLR: 0.1).learningRate(afterUpdates: 1000) == 0.1)
        let step = Schedule(baseLR: 0.1, shape: .step(stepSize: 10, gamma: 0.5))
        #expect(step.learningRate(afterUpdates: 9) == 0.1)
        #expect(step.learningRate(afterUpdates: 10) == 0.05)
        #expect(step.learningRate(afterUpdates: 25) == 0.025)
        let exp = Schedule(baseLR: 1, shape: .exponential(gamma: 0.9))
        #expect(abs(exp.learningRate(afterUpdates: 3) - 0.729) < 1e-12)
        let cosine = Schedule(baseLR: 1, shape: .cosine(tMax: 100, etaMin: 0.1))
        #expect(cosine.learningRate(afterUpdates: 0) == 1)
        #expect(abs(cosine.learningRate(afterUpdates: 50) - 0.55) < 1e-12)
        #expect(abs(cosine.learningRate(afterUpdates: 100) - 0.1) < 1e-12)
        #expect(abs(cosine.learningRate(afterUpdates: 150) - 0.1) < 1e-12)
    }

    @Test func warmupRampsLinearlyFromItsStartFactor() {
        let s = Schedule(baseLR: 0.3, warmupSteps: 4, warmupStartFactor: 0.25)
        let lrs = (0...5).map { s.learningRate(afterUpdates: $0) }
        let want = [0.075, 0.13125, 0.1875, 0.24375, 0.3, 0.3]
        for (a, b) in zip(lrs, want) { #expect(abs(a - b) < 1e-12) }
    }
}
