import Foundation
import GradscopeEngine

/// Where the training data comes from (`data` in the spec).
///
/// | source  | fields (defaults)                                                   |
/// |---------|---------------------------------------------------------------------|
/// | spirals | samples (1000), classes (3), noise (0.1)                            |
/// | moons   | samples (1000), noise (0.1)                                         |
/// | circles | samples (1000), noise (0.05), factor (0.5)                          |
/// | blobs   | samples (1000), classes (3), features (2), std (1.0)                |
/// | xor     | samples (1000), noise (0.05)                                        |
/// | sine    | samples (1000), noise (0.05) — regression                           |
/// | digits  | — (1,797 UCI digits, 64 inputs in [0, 1], 10 classes)               |
/// | csv     | path, target (both required), sequence_length                      |
/// | dataset | id, target (both required): a CSV uploaded to the server; sequence_length |
///
/// Sequence sources (rows of T steps, time-major; `SequenceData`):
///
/// | source         | fields (defaults)                                          |
/// |----------------|------------------------------------------------------------|
/// | adding         | samples (1000), sequence_length (50) — regression          |
/// | temporal_order | samples (1000), sequence_length (50) — 4 classes           |
/// | memory         | samples (1000), sequence_length (50), features (alphabet, 100) — 2 classes |
/// | digits_rows    | — (the digits as 8 steps of 8 pixels, one image row a step) |
///
/// `sequence_length` on csv/dataset reads each row's F·T feature columns as
/// T steps of F features (the first F columns are step 1).
///
/// Every source also takes `standardize` (false): scale inputs to mean 0 and
/// std 1 using the training split's statistics.
package struct DataSpec: Equatable, Sendable {
    package var source: String
    package var samples: Int?, classes: Int?, features: Int?
    package var noise: Double?, factor: Double?, std: Double?
    package var path: String?, target: String?, id: String?
    package var sequenceLength: Int?
    package var standardize: Bool

    static let sources = ["spirals", "moons", "circles", "blobs", "xor", "sine", "digits", "csv", "dataset",
                          "adding", "temporal_order", "memory", "digits_rows"]
    static let maxSamples = 1_000_000

    /// Input values a generated source will produce (samples × values per
    /// row), known before generating it; nil for files, whose size the
    /// row limit bounds as they are read.
    package var generatedValues: Int? {
        let n = samples ?? 1000
        let perRow: Int? = switch source {
        case "spirals", "moons", "circles", "xor": 2
        case "sine": 1
        case "blobs": features ?? 2
        case "adding": 2 * (steps ?? 50)
        case "temporal_order": 6 * (steps ?? 50)
        case "memory": (features ?? 100) * (steps ?? 50)
        default: nil
        }
        return perRow.map { n.multipliedReportingOverflow(by: $0).overflow ? Int.max : n * $0 }
    }

    /// The number of time steps of sequence data (nil for flat data).
    package var steps: Int? {
        switch source {
        case "adding", "temporal_order", "memory": sequenceLength ?? 50
        case "digits_rows": 8
        default: sequenceLength
        }
    }

    static func read(_ r: inout ObjectReader) throws(SpecError) -> DataSpec {
        guard let source = try r.string("source") else {
            throw SpecError(r.field("source"), "is required (one of \(sources.joined(separator: ", ")))")
        }
        try Check.oneOf(source, sources, r.field("source"))
        let takes: [String] = switch source {
        case "spirals": ["samples", "classes", "noise"]
        case "moons", "xor", "sine": ["samples", "noise"]
        case "circles": ["samples", "noise", "factor"]
        case "blobs": ["samples", "classes", "features", "std"]
        case "csv": ["path", "target", "sequence_length"]
        case "dataset": ["id", "target", "sequence_length"]
        case "adding", "temporal_order": ["samples", "sequence_length"]
        case "memory": ["samples", "sequence_length", "features"]
        default: []
        }
        let all = ["samples", "classes", "features", "noise", "factor", "std", "path", "target", "id", "sequence_length"]
        for f in all where !takes.contains(f) && r.has(f) {
            throw SpecError(r.field(f), "does not apply to source \"\(source)\"" +
                (takes.isEmpty ? "" : " (it takes \(takes.joined(separator: ", ")))"))
        }
        var d = DataSpec(source: source, standardize: try r.bool("standardize") ?? false)
        d.samples = try r.integer("samples")
        d.classes = try r.integer("classes")
        d.features = try r.integer("features")
        d.noise = try r.number("noise")
        d.factor = try r.number("factor")
        d.std = try r.number("std")
        d.path = try r.string("path")
        d.target = try r.string("target")
        d.id = try r.string("id")
        d.sequenceLength = try r.integer("sequence_length")
        // The generators' own minimums: Pascanu's positions need T ≥ 10; memory needs a step after the first.
        let shortest = ["adding", "temporal_order"].contains(source) ? 10 : source == "memory" ? 2 : 1
        try Check.range(d.sequenceLength, shortest, JobSpec.maxSequenceLength, r.field("sequence_length"))
        if source == "memory" { try Check.range(d.features, 3, 10_000, r.field("features")) }
        try Check.range(d.samples, 4, maxSamples, r.field("samples"))
        try Check.range(d.classes, 2, 1000, r.field("classes"))
        try Check.range(d.features, 1, 10_000, r.field("features"))
        try Check.nonNegative(d.noise, r.field("noise"))
        try Check.range(d.factor, 0, 1, r.field("factor"), open: true)
        try Check.nonNegative(d.std, r.field("std"))
        if source == "csv" {
            if d.path == nil { throw SpecError(r.field("path"), "is required for source \"csv\"") }
            if d.target == nil { throw SpecError(r.field("target"), "is required for source \"csv\" (the target column's name)") }
        }
        if source == "dataset" {
            if d.id == nil { throw SpecError(r.field("id"), "is required for source \"dataset\" (an uploaded dataset's id)") }
            if d.target == nil { throw SpecError(r.field("target"), "is required for source \"dataset\" (the target column's name)") }
        }
        try r.finish("data", accepted: ["source", "standardize"] + takes)
        return d
    }
}
