/// Builds compact JSON text by appending, without reflection: step records
/// are written on every recorded step, and `JSONEncoder` would cost more than
/// the statistics themselves. Non-finite numbers are written as `null`
/// (JSON has no NaN or Infinity); the NaN/Inf counts carry that information.
///
/// The text grows as UTF-8 bytes (String's append checks and grows per call,
/// which made it most of a small model's statistics cost); integers are
/// formatted in place.
public struct JSONWriter {
    private var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func raw(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = v.magnitude, digits = 1
        var probe = m
        while probe >= 10 { probe /= 10; digits += 1 }
        var i = bytes.count + digits - 1
        bytes.append(contentsOf: repeatElement(0, count: digits))
        repeat {
            bytes[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: m % 10)
            m /= 10
            i -= 1
        } while m > 0
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    private mutating func key(_ k: JSONKey) {
        separate()
        switch k.name {
        case .literal(let name):
            bytes.append(UInt8(ascii: "\""))
            raw(name)
            bytes.append(UInt8(ascii: "\""))
        case .text(let name): string(name)
        }
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func beginObject(_ k: JSONKey? = nil) {
        if let k { key(k) } else { separate() }
        raw("{")
        needsComma = false
    }

    public mutating func endObject() { raw("}"); needsComma = true }

    public mutating func beginArray(_ k: JSONKey? = nil) {
        if let k { key(k) } else { separate() }
        raw("[")
        needsComma = false
    }

    public mutating func endArray() { raw("]"); needsComma = true }

    public mutating func field(_ k: JSONKey, _ v: Double?) { key(k); number(v) }
    public mutating func field(_ k: JSONKey, _ v: Int) { key(k); raw(Int64(v)) }
    public mutating func field(_ k: JSONKey, _ v: Bool) { key(k); v ? raw("true") : raw("false") }
    public mutating func field(_ k: JSONKey, _ v: String?) {
        key(k)
        if let v { string(v) } else { raw("null") }
    }

    public mutating func element(_ v: Double?) { separate(); number(v) }
    public mutating func element(_ v: Int) { separate(); raw(Int64(v)) }
    public mutating func element(_ v: String) { separate(); string(v) }

    /// Appends already-encoded JSON as a field.
    public mutating func rawField(_ k: JSONKey, _ json: String) { key(k); raw(json) }
    /// An array element that is already JSON (a stored record).
    public mutating func rawElement(_ json: String) { separate(); raw(json) }

    /// A parsed JSON value as compact text (object keys sorted).
    public static func encode(_ v: JSONValue) -> String {
        var w = JSONWriter()
        w.value(v)
        return w.text
    }

    /// Appends a parsed JSON value (object keys sorted, for stable output).
    public mutating func field(_ k: JSONKey, json: JSONValue) { key(k); value(json) }
    public mutating func element(json: JSONValue) { separate(); value(json) }

    private mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): b ? raw("true") : raw("false")
        case .number(let d): number(d)
        case .string(let s): string(s)
        case .array(let a):
            raw("[")
            needsComma = false
            for item in a { element(json: item) }
            endArray()
        case .object(let o):
            raw("{")
            needsComma = false
            for k in o.keys.sorted() { field(JSONKey(k), json: o[k]!) }
            endObject()
        }
    }

    public mutating func ints(_ k: JSONKey, _ values: [Int]) {
        beginArray(k)
        for v in values { element(v) }
        endArray()
    }

    public mutating func doubles(_ k: JSONKey, _ values: [Double]) {
        beginArray(k)
        for v in values { element(v) }
        endArray()
    }

    /// Numbers are written so that reading one back and writing it again
    /// gives the same text (records survive their reader and encoder):
    /// - whole numbers as integers, exactly, up to 2^53 (a bound such as
    ///   the reader's largest whole number, 8999999999999999, must not be
    ///   rounded to 9e15);
    /// - others in the shortest form that reads back as the same float32,
    ///   when they fit one: statistics come from float32 data, so float32
    ///   precision loses nothing that was measured, and the shorter form
    ///   halves the size and the formatting time. Where that form is a whole
    ///   number (every float32 from 2^24 up is one), it is written as the
    ///   integer it reads back as.
    private mutating func number(_ v: Double?) {
        guard let text = Self.numberText(v) else { raw("null"); return }
        raw(text)
    }

    /// A number as records write it, nil for one they write as null (the
    /// CSV export writes the same digits).
    public static func numberText(_ v: Double?) -> String? {
        guard let v, v.isFinite else { return nil }
        if v == v.rounded() && abs(v) <= 9_007_199_254_740_992 { return String(Int64(v)) }
        let f = Float(v)
        guard f.isFinite && f != 0 else { return v.description }
        guard f == f.rounded() else {
            // A float32's shortest form can read back as a double exactly
            // halfway between two floats, which rounds to the other one
            // (±7.038531e-26 is the one such float32): then the float's
            // exact value, as a double, is written.
            let short = f.description
            return Double(short).map(Float.init) == f ? short : Double(f).description
        }
        if abs(f) < 16_777_216 { return String(Int64(f)) }
        let short = f.description
        if let d = Double(short), abs(d) <= 9_007_199_254_740_992 { return String(Int64(d)) }
        return short
    }

    /// `v` as a reader of `numberText(v)` gets it back.
    public static func asWritten(_ v: Double) -> Double {
        numberText(v).flatMap(Double.init) ?? v
    }

    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            if utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                escape(utf8)
            } else {
                bytes.append(contentsOf: utf8)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ utf8: UnsafeBufferPointer<UInt8>) {
        // Byte by byte: multi-byte UTF-8 sequences (all bytes ≥ 0x80) pass through.
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
    }
}

/// A member name. A literal in the code is written as it is (one copy: the
/// names of a step record's fields are most of its text); any other name
/// is escaped as a string.
public struct JSONKey: ExpressibleByStringLiteral, Sendable {
    enum Name: Sendable {
        case literal(StaticString)
        case text(String)
    }

    let name: Name

    public init(stringLiteral name: StaticString) {
        assert(!"\(name)".utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }, "a key to escape")
        self.name = .literal(name)
    }

    public init(_ name: String) { self.name = .text(name) }
}
