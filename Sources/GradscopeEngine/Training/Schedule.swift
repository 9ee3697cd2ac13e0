import Foundation

/// Learning rate as a function of the number of updates already made, t
/// (0 for the first update). The schedules follow PyTorch's closed forms,
/// stepped once per optimizer update rather than per epoch:
///
/// - constant: γ₀
/// - step: γ₀·gamma^⌊t/step_size⌋ (`StepLR`)
/// - exponential: γ₀·gamma^t (`ExponentialLR`)
/// - cosine: η_min + (γ₀ − η_min)·(1 + cos(π·min(t, T)/T))/2 (`CosineAnnealingLR`)
///
/// A linear warm-up multiplies any of them by
/// f + (1 − f)·min(t, W)/W over the first W updates (`LinearLR` with
/// start_factor f, chained).
public struct Schedule: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        case constant
        case step(stepSize: Int, gamma: Double)
        case exponential(gamma: Double)
        case cosine(tMax: Int, etaMin: Double)
    }

    public var baseLR: Double
    public var shape: Shape
    public var warmupSteps: Int
    public var warmupStartFactor: Double

    public init(baseLR: Double, shape: Shape = .constant, warmupSteps: Int = 0, warmupStartFactor: Double = 1.0 / 3) {
        self.baseLR = baseLR
        self.shape = shape
        self.warmupSteps = warmupSteps
        self.warmupStartFactor = warmupStartFactor
    }

    public func learningRate(afterUpdates t: Int) -> Double {
        var lr: Double
        switch shape {
        case .constant: lr = baseLR
        case .step(let size, let gamma): lr = baseLR * pow(gamma, Double(t / size))
        case .exponential(let gamma): lr = baseLR * pow(gamma, Double(t))
        case .cosine(let tMax, let etaMin):
            lr = etaMin + (baseLR - etaMin) * (1 + cos(Double.pi * Double(min(t, tMax)) / Double(tMax))) / 2
        }
        if warmupSteps > 0 {
            let f = warmupStartFactor
            lr *= f + (1 - f) * Double(min(t, warmupSteps)) / Double(warmupSteps)
        }
        return lr
    }
}
