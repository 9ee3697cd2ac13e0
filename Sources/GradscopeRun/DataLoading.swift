import Foundation
import GradscopeEngine
import GradscopeSpec

/// A spec's data made real: generated, or read from a file.
extension DataSpec {
    /// A few rows of the data, with the shape of all of it (features,
    /// sequence length, targets and classes), and the number of rows it
    /// would have: what validation needs, without generating it all. File
    /// sources are read whole, as their shape is in them.
    func sample(seed: UInt64, baseDirectory: String?, datasets: (@Sendable (String) -> String?)? = nil) throws(SpecError)
        -> (Dataset, rows: Int)
    {
        guard generatedValues != nil else {
            let data = try load(seed: seed, baseDirectory: baseDirectory, datasets: datasets)
            return (data, data.count)
        }
        var few = self
        // Enough rows for every class; generators take their classes from the spec, not from the rows.
        few.samples = min(samples ?? 1000, max(16, 4 * (classes ?? 2)))
        return (try few.load(seed: seed, baseDirectory: baseDirectory, datasets: datasets), samples ?? 1000)
    }

    /// Loads or generates the data. Relative CSV paths are resolved against
    /// `baseDirectory` (the spec file's folder).
    func load(seed: UInt64, baseDirectory: String?, datasets: (@Sendable (String) -> String?)? = nil) throws(SpecError) -> Dataset {
        var random = Random(seed: seed, stream: .data)
        let n = samples ?? 1000
        switch source {
        case "spirals": return SyntheticData.spirals(samples: n, classes: classes ?? 3, noise: noise ?? 0.1, random: &random)
        case "moons": return SyntheticData.moons(samples: n, noise: noise ?? 0.1, random: &random)
        case "circles": return SyntheticData.circles(samples: n, noise: noise ?? 0.05, factor: factor ?? 0.5, random: &random)
        case "blobs":
            return SyntheticData.blobs(samples: n, classes: classes ?? 3, features: features ?? 2, std: std ?? 1, random: &random)
        case "xor": return SyntheticData.xor(samples: n, noise: noise ?? 0.05, random: &random)
        case "sine": return SyntheticData.sine(samples: n, noise: noise ?? 0.05, random: &random)
        case "digits", "digits_rows":
            do {
                var digits = try DigitsData.load()
                if source == "digits_rows" { digits.sequenceLength = 8 }
                return digits
            } catch { throw SpecError("data.source", "could not load: \(error)") }
        case "adding": return SequenceData.adding(samples: n, length: sequenceLength ?? 50, random: &random)
        case "temporal_order": return SequenceData.temporalOrder(samples: n, length: sequenceLength ?? 50, random: &random)
        case "memory":
            return SequenceData.memory(samples: n, length: sequenceLength ?? 50, symbols: features ?? 100, random: &random)
        case "dataset":
            guard let resolve = datasets else {
                throw SpecError("data.source", "\"dataset\" names a dataset uploaded to gradscope serve; use \"csv\" here")
            }
            guard let file = resolve(id!) else { throw SpecError("data.id", "no uploaded dataset has id \"\(id!)\"") }
            let table: Dataset
            do { table = try CSVData.load(path: file, target: target!) } catch {
                throw SpecError("data.target", "\(error)")
            }
            return try asSequence(table)
        default:
            var file = path!
            if !file.hasPrefix("/"), let base = baseDirectory { file = base + "/" + file }
            let table: Dataset
            do { table = try CSVData.load(path: file, target: target!) } catch {
                throw SpecError("data.path", "could not be loaded: \(error)")
            }
            return try asSequence(table)
        }
    }

    /// A CSV table read as sequences when `sequence_length` is given.
    private func asSequence(_ table: Dataset) throws(SpecError) -> Dataset {
        guard let t = sequenceLength else { return table }
        guard table.features % t == 0 else {
            throw SpecError("data.sequence_length", "is \(t), but the table has \(table.features) feature columns, "
                + "not a multiple of it (each row must hold T steps of the same number of features)")
        }
        var sequences = table
        sequences.sequenceLength = t
        return sequences
    }
}
