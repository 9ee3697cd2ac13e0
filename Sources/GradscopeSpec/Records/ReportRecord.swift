import GradscopeDiagnosis
import GradscopeEngine

/// `{"type":"report",…}`, last: the verdict with its evidence and remedies.
public struct ReportRecord: Sendable, Equatable {
    /// A remedy as the record lists it: `change` is the spec patch that
    /// `compare` tries (null for an external run, which has no spec), and
    /// `pytorch` the same change in PyTorch's terms, for external runs.
    public struct RemedyEntry: Sendable, Equatable {
        public var name: String
        public var change: JSONValue
        public var reason: String
        public var pytorch: String?
    }

    public var verdict: Verdict
    public var firstStep: Int?
    public var firstLayer: String?
    public var pass: String?
    public var firstNonfinite: NonfiniteOrigin?
    public var evidence: [Report.Evidence]
    public var remedies: [RemedyEntry]
    public var alertCounts: [String: Int]

    /// `patch` gives a remedy's spec change, nil for one that does not apply
    /// to the spec (left out). Without `patch` (an external run) every remedy
    /// is listed with `"change": null` and its PyTorch form.
    public init(_ r: Report, firstNonfinite: NonfiniteOrigin?, patch: ((Remedy.Kind) -> JSONValue?)?) {
        verdict = r.verdict
        firstStep = r.firstStep
        firstLayer = r.firstLayer
        pass = r.pass
        self.firstNonfinite = firstNonfinite
        evidence = r.evidence
        alertCounts = r.alertCounts
        remedies = r.remedies.compactMap { remedy in
            guard let patch else {
                return RemedyEntry(name: remedy.kind.rawValue, change: .null, reason: remedy.reason, pytorch: remedy.pytorch)
            }
            return patch(remedy.kind).map { RemedyEntry(name: remedy.kind.rawValue, change: $0, reason: remedy.reason) }
        }
    }

    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "report")
        w.field("verdict", verdict.rawValue)
        w.field("first_step", firstStep.map(Double.init))
        w.field("first_layer", firstLayer)
        w.field("pass", pass)
        if let origin = firstNonfinite {
            w.beginObject("first_nonfinite")
            w.field("step", origin.step)
            w.field("pass", origin.pass.rawValue)
            w.field("layer", origin.layer)
            w.field("quantity", origin.quantity)
            w.endObject()
        }
        w.beginArray("evidence")
        for e in evidence {
            w.beginObject()
            w.field("rule", e.rule)
            w.field("step", e.step)
            w.field("layer", e.layer)
            w.field("value", e.value)
            w.field("threshold", e.threshold)
            w.field("message", e.message)
            w.endObject()
        }
        w.endArray()
        w.beginArray("remedies")
        for remedy in remedies {
            w.beginObject()
            w.field("name", remedy.name)
            w.field("change", json: remedy.change)
            w.field("reason", remedy.reason)
            if let pytorch = remedy.pytorch { w.field("pytorch", pytorch) }
            w.endObject()
        }
        w.endArray()
        w.beginObject("alerts")
        for (kind, count) in alertCounts.sorted(by: { $0.key < $1.key }) { w.field(JSONKey(kind), count) }
        w.endObject()
        w.endObject()
        return w.text
    }

    static let fields = ["type", "verdict", "first_step", "first_layer", "pass", "first_nonfinite", "evidence", "remedies",
                         "alerts"]

    public init(json: JSONValue, path: String = "") throws(SpecError) {
        var r = try ObjectReader(json, path: path)
        try r.only(Self.fields, in: "a report record")
        guard let verdict = Verdict(rawValue: try r.string("verdict") ?? "") else {
            throw SpecError(r.field("verdict"), "must be one of \(Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.verdict = verdict
        firstStep = try r.integer("first_step")
        firstLayer = try r.string("first_layer")
        pass = try r.string("pass")
        if var o = try r.object("first_nonfinite") {
            try o.only(["step", "pass", "layer", "quantity"], in: "first_nonfinite")
            guard let step = try o.integer("step"), let pass = NonfiniteOrigin.Pass(rawValue: try o.string("pass") ?? "") else {
                throw SpecError(o.path, "needs a step and a pass (forward, loss or backward)")
            }
            firstNonfinite = NonfiniteOrigin(step: step, pass: pass, layer: try o.string("layer"),
                                             quantity: try o.string("quantity") ?? "")
        }
        evidence = try (r.array("evidence") ?? []).enumerated().map { (i, item) throws(SpecError) in
            var e = try ObjectReader(item, path: r.field("evidence[\(i)]"))
            try e.only(["rule", "step", "layer", "value", "threshold", "message"], in: "an evidence entry")
            return Report.Evidence(rule: try e.string("rule") ?? "", step: try e.integer("step") ?? 0, layer: try e.string("layer"),
                                   value: try e.number("value"), threshold: try e.number("threshold"),
                                   message: try e.string("message") ?? "")
        }
        remedies = try (r.array("remedies") ?? []).enumerated().map { (i, item) throws(SpecError) in
            var e = try ObjectReader(item, path: r.field("remedies[\(i)]"))
            try e.only(["name", "change", "reason", "pytorch"], in: "a remedy entry")
            guard let name = try e.string("name") else { throw SpecError(e.field("name"), "is required") }
            return RemedyEntry(name: name, change: e.object["change"] ?? .null, reason: try e.string("reason") ?? "",
                               pytorch: try e.string("pytorch"))
        }
        alertCounts = [:]
        if case .object(let counts)? = r.object["alerts"] {
            for (kind, n) in counts {
                guard case .number(let v) = n, v >= 0, v == v.rounded(), v < 9e15 else {
                    throw SpecError(r.field("alerts.\(kind)"), "must be a whole number ≥ 0")
                }
                alertCounts[kind] = Int(v)
            }
        }
    }
}
