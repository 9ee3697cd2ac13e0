/// Builds compact JSON text by appending, without reflection: step records
/// are written on every recorded step, and `JSONEncoder` would cost more than
/// the statistics themselves. Non-finite numbers are written as `null`
/// (JSON has no NaN or Infinity); the NaN/Inf counts carry that information.
public struct JSONWriter {
    public private(set) var text = ""
    private var needsComma = false

    public init(capacity: Int = 1024) { text.reserveCapacity(capacity) }

    private mutating func separate() {
        if needsComma { text.append(",") }
        needsComma = true
    }

    private mutating func key(_ k: String) {
        separate()
        text.append("\"")
        text.append(k)
        text.append("\":")
    }

    public mutating func beginObject(_ k: String? = nil) {
        if let k { key(k) } else { separate() }
        text.append("{")
        needsComma = false
    }

    public mutating func endObject() { text.append("}"); needsComma = true }

    public mutating func beginArray(_ k: String? = nil) {
        if let k { key(k) } else { separate() }
        text.append("[")
        needsComma = false
    }

    public mutating func endArray() { text.append("]"); needsComma = true }

    public mutating func field(_ k: String, _ v: Double?) { key(k); number(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); text.append(String(v)) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); text.append(v ? "true" : "false") }
    public mutating func field(_ k: String, _ v: String?) {
        key(k)
        if let v { string(v) } else { text.append("null") }
    }

    public mutating func element(_ v: Double?) { separate(); number(v) }
    public mutating func element(_ v: Int) { separate(); text.append(String(v)) }
    public mutating func element(_ v: String) { separate(); string(v) }

    /// Appends already-encoded JSON as a field.
    public mutating func rawField(_ k: String, _ json: String) { key(k); text.append(json) }

    /// A parsed JSON value as compact text (object keys sorted).
    public static func encode(_ v: JSONValue) -> String {
        var w = JSONWriter()
        w.value(v)
        return w.text
    }

    /// Appends a parsed JSON value (object keys sorted, for stable output).
    public mutating func field(_ k: String, json: JSONValue) { key(k); value(json) }
    public mutating func element(json: JSONValue) { separate(); value(json) }

    private mutating func value(_ v: JSONValue) {
        switch v {
        case .null: text.append("null")
        case .bool(let b): text.append(b ? "true" : "false")
        case .number(let d): number(d)
        case .string(let s): string(s)
        case .array(let a):
            text.append("[")
            needsComma = false
            for item in a { element(json: item) }
            endArray()
        case .object(let o):
            text.append("{")
            needsComma = false
            for k in o.keys.sorted() { field(k, json: o[k]!) }
            endObject()
        }
    }

    public mutating func ints(_ k: String, _ values: [Int]) {
        beginArray(k)
        for v in values { element(v) }
        endArray()
    }

    public mutating func doubles(_ k: String, _ values: [Double]) {
        beginArray(k)
        for v in values { element(v) }
        endArray()
    }

    /// Whole numbers as integers; others in the shortest form that reads
    /// back as the same float32 when they fit one. Statistics come from
    /// float32 data, so float32 precision loses nothing that was measured,
    /// and the shorter form halves the size and the formatting time.
    private mutating func number(_ v: Double?) {
        guard let v, v.isFinite else { text.append("null"); return }
        if v == v.rounded(), abs(v) < 1e15 { text.append(String(Int64(v))); return }
        let f = Float(v)
        if f.isFinite && f != 0 { text.append(f.description) } else { text.append(v.description) }
    }

    private mutating func string(_ s: String) {
        text.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": text.append("\\\"")
            case "\\": text.append("\\\\")
            case "\n": text.append("\\n")
            case "\r": text.append("\\r")
            case "\t": text.append("\\t")
            case _ where scalar.value < 0x20:
                text.append("\\u00")
                text.append(scalar.value < 0x10 ? "0" : "")
                text.append(String(scalar.value, radix: 16))
            default: text.unicodeScalars.append(scalar)
            }
        }
        text.append("\"")
    }
}
