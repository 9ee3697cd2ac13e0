import Foundation
import Testing
@testable import GradscopeEngine

struct LossTests {
    /// ∂L/∂logits of each loss against central differences of the loss itself.
    @Test(arguments: Loss.allCases)
    func lossGradientMatchesFiniteDifferences(_ loss: Loss) {
        var r = Random(seed: 8)
        let logits = Tensor(rows: 4, cols: 3)
        for i in 0..<logits.count { logits[i] = Float(r.normal()) }
        let labels: [Int32] = [0, 2, 1, 2]
        let values: [Float] = (0..<12).map { _ in loss == .bceWithLogits ? Float(r.uniformDouble()) : Float(r.normal()) }
        func evaluate(_ grad: Tensor?) -> Double {
            if loss == .crossEntropy {
                return labels.withUnsafeBufferPointer { loss.evaluate(logits, .labels($0), grad: grad).loss }
            }
            return values.withUnsafeBufferPointer { loss.evaluate(logits, .values($0), grad: grad).loss }
        }
        let grad = Tensor(rows: 0, cols: 0)
        _ = evaluate(grad)
        let eps: Float = 1e-2
        var worst = 0.0
        for i in 0..<logits.count {
            let saved = logits[i]
            logits[i] = saved + eps
            let plus = evaluate(nil)
            logits[i] = saved - eps
            let minus = evaluate(nil)
            logits[i] = saved
            let numeric = (plus - minus) / Double(2 * eps)
            worst = max(worst, abs(numeric - Double(grad[i])) / (1e-4 + 1e-2 * abs(numeric)))
        }
        #expect(worst <= 1, "\(loss): worst scaled error \(worst)")
    }

    @Test func crossEntropyMatchesHandComputedValue() {
        let logits = Tensor(shape: [2, 3], values: [1, 2, 3, 0, 0, 0])
        let r = [Int32(2), 0].withUnsafeBufferPointer { Loss.crossEntropy.evaluate(logits, .labels($0), grad: nil) }
        let first = -log(exp(3.0) / (exp(1.0) + exp(2.0) + exp(3.0)))
        #expect(abs(r.loss - (first + log(3.0)) / 2) < 1e-6)
        #expect(r.correct == 2)  // argmax of a tie row is the first class
    }

    @Test func crossEntropyIsStableForHugeLogits() {
        let logits = Tensor(shape: [1, 2], values: [1e30, -1e30])
        let r = [Int32(1)].withUnsafeBufferPointer { Loss.crossEntropy.evaluate(logits, .labels($0), grad: nil) }
        #expect(r.loss.isFinite && r.loss > 1e29)
    }

    @Test func mseAveragesOverAllElements() {
        let out = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let grad = Tensor(rows: 0, cols: 0)
        let r = [Float](repeating: 0, count: 4).withUnsafeBufferPointer { Loss.mse.evaluate(out, .values($0), grad: grad) }
        #expect(r.loss == 30.0 / 4)
        #expect(grad.array == [0.5, 1, 1.5, 2])
    }
}
