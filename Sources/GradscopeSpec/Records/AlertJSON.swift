import GradscopeDiagnosis

/// `{"type":"alert",…}` as a detector fires: its encoder and checked reader.
extension Alert {
    static let fields = ["type", "step", "kind", "severity", "layer", "value", "threshold", "message", "samples"]

    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "alert")
        w.field("step", step)
        w.field("kind", kind.rawValue)
        w.field("severity", severity.rawValue)
        w.field("layer", layer)
        w.field("value", value)
        w.field("threshold", threshold)
        w.field("message", message)
        if let samples = sampleIndices { w.ints("samples", samples) }
        w.endObject()
        return w.text
    }

    public init(json: JSONValue, path: String = "") throws(SpecError) {
        var r = try ObjectReader(json, path: path)
        try r.only(Self.fields, in: "an alert record")
        guard let step = try r.integer("step") else { throw SpecError(r.field("step"), "is required") }
        guard let kind = Kind(rawValue: try r.string("kind") ?? "") else {
            throw SpecError(r.field("kind"), "must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let severity = Severity(rawValue: try r.string("severity") ?? "") else {
            throw SpecError(r.field("severity"), "must be \"warning\" or \"critical\"")
        }
        self.init(step: step, kind: kind, severity: severity, layer: try r.string("layer"), value: try r.number("value"),
                  threshold: try r.number("threshold"), message: try r.string("message") ?? "",
                  sampleIndices: r.present("samples") ? try r.integers("samples") : nil)
    }
}
