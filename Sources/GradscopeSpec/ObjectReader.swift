/// Reads one JSON object of a spec, field by field, remembering which
/// fields were read so that `finish` can reject the rest by name. JSON null
/// counts as an absent field.
struct ObjectReader {
    package let path: String
    let object: [String: JSONValue]
    var seen: Set<String> = []
    /// Whether to remember the fields read, for `finish`; readers that check
    /// with `only` up front need not (ingest reads many small objects).
    let tracksSeen: Bool

    init(_ value: JSONValue, path: String, tracksSeen: Bool = true) throws(SpecError) {
        guard case .object(let o) = value else {
            throw SpecError(path.isEmpty ? "the spec" : path, "must be an object, got \(value.typeName)")
        }
        self.path = path
        object = o
        self.tracksSeen = tracksSeen
    }

    /// An absent section, read as an empty object so defaults apply.
    static func empty(_ path: String) -> ObjectReader {
        ObjectReader(path: path, object: [:])
    }

    private init(path: String, object: [String: JSONValue]) {
        self.path = path
        self.object = object
        tracksSeen = true
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool {
        if let v = object[key], v != .null { return true }
        return false
    }

    private mutating func value(_ key: String) -> JSONValue? {
        if tracksSeen { seen.insert(key) }
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    mutating func string(_ key: String) throws(SpecError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw SpecError(field(key), "must be a string, got \(v.typeName)") }
        return s
    }

    mutating func bool(_ key: String) throws(SpecError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw SpecError(field(key), "must be true or false, got \(v.typeName)") }
        return b
    }

    mutating func number(_ key: String) throws(SpecError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let d) = v, d.isFinite else {
            throw SpecError(field(key), "must be a finite number, got \(v.typeName)")
        }
        return d
    }

    mutating func integer(_ key: String) throws(SpecError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .number(let d) = v, d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else {
            throw SpecError(field(key), "must be a whole number, got \(Self.describe(v))")
        }
        return Int(d)
    }

    mutating func array(_ key: String) throws(SpecError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw SpecError(field(key), "must be an array, got \(v.typeName)") }
        return a
    }

    mutating func object(_ key: String) throws(SpecError) -> ObjectReader? {
        guard let v = value(key) else { return nil }
        return try ObjectReader(v, path: field(key))
    }

    /// Rejects any field not in `accepted`, before reading the rest, so a
    /// misspelt field is reported as such rather than as a missing one.
    func only(_ accepted: [String], in what: String) throws(SpecError) {
        guard !object.keys.allSatisfy(accepted.contains),
              let unknown = object.keys.sorted().first(where: { !accepted.contains($0) }) else { return }
        throw SpecError(field(unknown), "is not a field of \(what) (fields: \(accepted.joined(separator: ", ")))")
    }

    /// Rejects every field that was not read, naming the first (in sorted
    /// order) and listing what `what` accepts.
    func finish(_ what: String, accepted: [String]) throws(SpecError) {
        guard let unknown = object.keys.sorted().first(where: { !seen.contains($0) }) else { return }
        throw SpecError(field(unknown), "is not a field of \(what) (fields: \(accepted.joined(separator: ", ")))")
    }

    /// Rejects any of `keys` that is present: fields that exist but do not
    /// apply to the current choice (e.g. `momentum` for adam).
    func forbid(_ keys: [String], because reason: String) throws(SpecError) {
        if let k = keys.first(where: has) { throw SpecError(field(k), reason) }
    }

    static func describe(_ v: JSONValue) -> String {
        if case .number(let d) = v { return Check.show(d) }
        return v.typeName
    }
}

/// Checks shared by the spec types.
enum Check {
    /// A number as the user would have written it: 3, not 3.0.
    static func show(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }

    static func positive(_ v: Double?, _ field: String) throws(SpecError) {
        if let v, !(v > 0) { throw SpecError(field, "must be a finite number > 0, got \(show(v))") }
    }
    static func nonNegative(_ v: Double?, _ field: String) throws(SpecError) {
        if let v, !(v >= 0) { throw SpecError(field, "must be a finite number ≥ 0, got \(show(v))") }
    }
    static func range(_ v: Double?, _ lo: Double, _ hi: Double, _ field: String, open: Bool = false) throws(SpecError) {
        guard let v else { return }
        let ok = open ? (v >= lo && v < hi) : (v >= lo && v <= hi)
        if !ok { throw SpecError(field, "must be in [\(show(lo)), \(show(hi))\(open ? ")" : "]"), got \(show(v))") }
    }
    static func range(_ v: Int?, _ lo: Int, _ hi: Int, _ field: String) throws(SpecError) {
        if let v, v < lo || v > hi { throw SpecError(field, "must be a whole number from \(lo) to \(hi), got \(v)") }
    }
    static func oneOf(_ v: String?, _ choices: [String], _ field: String) throws(SpecError) {
        if let v, !choices.contains(v) {
            throw SpecError(field, "must be one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(v)\"")
        }
    }
}
