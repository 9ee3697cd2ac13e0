import Foundation
import Testing
@testable import GradscopeEngine

/// The vectorised exp, tanh and sigmoid against the C library's scalar ones.
struct VectorMathTests {
    /// Values from −100 to 100, dense near 0 where tanh switches formula.
    static let inputs: [Float] = {
        var v: [Float] = []
        var x: Float = -100
        while x <= 100 { v.append(x); x += abs(x) < 2 ? 0.0013 : 0.037 }
        return v + [0, -0, 0.625, -0.625, 0.624_999_9, 1e-8, -1e-30, 88, -88, 89, -89]
    }()

    static func relativeError(_ a: Float, _ b: Float) -> Double {
        let (a, b) = (Double(a), Double(b))
        return a == b ? 0 : abs(a - b) / max(abs(b), 1e-30)
    }

    @Test func tanhAndSigmoidAgreeWithLibmToAFewUlp() {
        let x = Self.inputs
        var t = [Float](repeating: 0, count: x.count), s = t
        VectorMath.tanh(x, &t, count: x.count)
        VectorMath.sigmoid(x, &s, count: x.count)
        var worstTanh = 0.0, worstSigmoid = 0.0
        for i in x.indices {
            worstTanh = max(worstTanh, Self.relativeError(t[i], Foundation.tanh(x[i])))
            let reference = Float(1 / (1 + Foundation.exp(-Double(x[i]))))
            // Below ~1e-38 both are subnormal or zero: compare absolutely there.
            if reference > 1e-37 { worstSigmoid = max(worstSigmoid, Self.relativeError(s[i], reference)) }
            #expect(s[i] >= 0 && s[i] <= 1 && abs(t[i]) <= 1)
        }
        // float32's ulp is 6e-8 relative: within about 4 ulp.
        #expect(worstTanh < 2.5e-7, "tanh: worst relative error \(worstTanh)")
        #expect(worstSigmoid < 2.5e-7, "sigmoid: worst relative error \(worstSigmoid)")
    }

    @Test func expAgreesWithLibm() {
        var worst = 0.0
        for x in Self.inputs where abs(x) < 87 {
            let v = VectorMath.exp(SIMD8<Float>(repeating: x))[0]
            worst = max(worst, Self.relativeError(v, Foundation.exp(x)))
        }
        #expect(worst < 2.5e-7, "exp: worst relative error \(worst)")
    }

    @Test func specialValuesAndTails() {
        let x: [Float] = [.nan, .infinity, -.infinity, 0, 3, -3, 0.5, 1e-3, -2]  // 9: one vector and a tail
        var t = [Float](repeating: 0, count: x.count), s = t
        VectorMath.tanh(x, &t, count: x.count)
        VectorMath.sigmoid(x, &s, count: x.count)
        #expect(t[0].isNaN && s[0].isNaN, "NaN must propagate, or divergence would be hidden")
        #expect(t[1] == 1 && t[2] == -1 && t[3] == 0)
        #expect(s[1] == 1 && s[2] == 0 && s[3] == 0.5, "\(s)")
        #expect(abs(t[8] - Foundation.tanh(-2)) < 1e-6 && abs(s[8] - 1 / (1 + Foundation.exp(2))) < 1e-6)
        // In place.
        var y = x
        y.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, $0.baseAddress!, count: $0.count) }
        #expect(y[4] == t[4] && y[8] == t[8])
    }
}
