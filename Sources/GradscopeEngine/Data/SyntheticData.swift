import Foundation

/// Toy problems that make gradient pathologies easy to see, all generated
/// from the job's seed (the `data` stream) so they are identical everywhere.
/// Where scikit-learn has the same problem, the geometry follows its
/// `make_*` function; the random draws are ours.
public enum SyntheticData {
    /// Interleaved spiral arms (the CS231n toy set): class k has radius
    /// r = i/n and angle θ = 4k + 4r + noise·N(0,1), point (r sin θ, r cos θ).
    public static func spirals(samples: Int, classes: Int, noise: Double, random: inout Random) -> Dataset {
        var x = [Float](), y = [Int32]()
        for i in 0..<samples {
            let k = i % classes, j = i / classes
            let perClass = (samples - k + classes - 1) / classes
            let r = perClass > 1 ? Double(j) / Double(perClass - 1) : 0
            let theta = Double(k) * 4 + r * 4 + noise * random.normal()
            x += [Float(r * sin(theta)), Float(r * cos(theta))]
            y.append(Int32(k))
        }
        return Dataset(features: 2, inputs: x, targets: .labels(y, classes: classes))
    }

    /// Two interleaving half circles (`make_moons`): outer (cos t, sin t),
    /// inner (1 − cos t, 0.5 − sin t), t ∈ [0, π], plus noise·N(0, 1).
    public static func moons(samples: Int, noise: Double, random: inout Random) -> Dataset {
        var x = [Float](), y = [Int32]()
        let outer = samples / 2, inner = samples - outer
        for i in 0..<samples {
            let isOuter = i < outer
            let m = isOuter ? outer : inner, j = isOuter ? i : i - outer
            let t = m > 1 ? Double.pi * Double(j) / Double(m - 1) : 0
            let px = isOuter ? cos(t) : 1 - cos(t), py = isOuter ? sin(t) : 0.5 - sin(t)
            x += [Float(px + noise * random.normal()), Float(py + noise * random.normal())]
            y.append(isOuter ? 0 : 1)
        }
        return Dataset(features: 2, inputs: x, targets: .labels(y, classes: 2))
    }

    /// A large circle (class 0) around a smaller one of radius `factor`
    /// (class 1), as `make_circles`, plus noise·N(0, 1).
    public static func circles(samples: Int, noise: Double, factor: Double, random: inout Random) -> Dataset {
        var x = [Float](), y = [Int32]()
        let outer = samples / 2, inner = samples - outer
        for i in 0..<samples {
            let isOuter = i < outer
            let m = isOuter ? outer : inner, j = isOuter ? i : i - outer
            let t = 2 * Double.pi * Double(j) / Double(max(m, 1))
            let r = isOuter ? 1 : factor
            x += [Float(r * cos(t) + noise * random.normal()), Float(r * sin(t) + noise * random.normal())]
            y.append(isOuter ? 0 : 1)
        }
        return Dataset(features: 2, inputs: x, targets: .labels(y, classes: 2))
    }

    /// Isotropic Gaussian clusters (`make_blobs`): `classes` centres drawn
    /// uniformly in [−10, 10]^features, points centre + std·N(0, I).
    public static func blobs(samples: Int, classes: Int, features: Int, std: Double, random: inout Random) -> Dataset {
        let centres = (0..<classes).map { _ in (0..<features).map { _ in random.uniform(-10, 10) } }
        var x = [Float](), y = [Int32]()
        for i in 0..<samples {
            let k = i % classes
            for j in 0..<features { x.append(Float(centres[k][j] + std * random.normal())) }
            y.append(Int32(k))
        }
        return Dataset(features: features, inputs: x, targets: .labels(y, classes: classes))
    }

    /// Points uniform in [−1, 1]²; class 1 when exactly one coordinate is
    /// positive. Noise·N(0, 1) is added to the inputs after labelling.
    public static func xor(samples: Int, noise: Double, random: inout Random) -> Dataset {
        var x = [Float](), y = [Int32]()
        for _ in 0..<samples {
            let a = random.uniform(-1, 1), b = random.uniform(-1, 1)
            y.append((a > 0) != (b > 0) ? 1 : 0)
            x += [Float(a + noise * random.normal()), Float(b + noise * random.normal())]
        }
        return Dataset(features: 2, inputs: x, targets: .labels(y, classes: 2))
    }

    /// Regression: x uniform in [−π, π], target sin(x) + noise·N(0, 1).
    public static func sine(samples: Int, noise: Double, random: inout Random) -> Dataset {
        var x = [Float](), y = [Float]()
        for _ in 0..<samples {
            let v = random.uniform(-Double.pi, Double.pi)
            x.append(Float(v))
            y.append(Float(sin(v) + noise * random.normal()))
        }
        return Dataset(features: 1, inputs: x, targets: .values(y, width: 1))
    }
}
