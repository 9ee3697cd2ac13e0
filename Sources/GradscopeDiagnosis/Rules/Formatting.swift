import Foundation

/// Numbers in messages: three decimals, or one-decimal scientific notation
/// outside [1e-3, 1e4); non-finite values as Swift prints them.
func format(_ v: Double) -> String {
    guard v.isFinite else { return "\(v)" }
    let a = abs(v)
    if a != 0 && (a < 1e-3 || a >= 1e4) {
        var exponent = Int((log10(a)).rounded(.down))
        var mantissa = ((v / pow(10, Double(exponent))) * 10).rounded() / 10
        if abs(mantissa) >= 10 { mantissa /= 10; exponent += 1 }  // 9.96e-11 → 1.0e-10, not 10.0e-11
        return "\(mantissa)e\(exponent)"
    }
    return "\((v * 1000).rounded() / 1000)"
}

func percent(_ v: Double) -> String { "\(Int((v * 100).rounded()))%" }
