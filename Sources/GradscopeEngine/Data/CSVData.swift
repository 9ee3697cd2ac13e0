import Foundation

/// Any numeric CSV file: a header row, then one row per sample. One column,
/// named by `target`, is the target; every other column is an input.
/// Integer-valued targets make a classification problem whose classes are the
/// distinct target values in ascending order (so labels 3, 5, 9 become
/// classes 0, 1, 2); any other target makes a regression problem.
public enum CSVData {
    public static func load(path: String, target: String) throws(DataError) -> Dataset {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadable(path: path, reason: fileReadProblem(path, error))
        }
        return try parse(text, target: target, source: path)
    }

    public static func parse(_ text: String, target: String, source: String = "the CSV data") throws(DataError) -> Dataset {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .filter { !$0.element.allSatisfy(\.isWhitespace) }.makeIterator()
        guard let (_, headerLine) = lines.next() else { throw .empty(path: source) }
        let header = cells(headerLine)
        guard let targetIndex = header.firstIndex(of: target) else {
            throw .missingColumn(target, available: header)
        }
        guard header.count >= 2 else { throw .noFeatures(target: target) }
        var inputs = [Float](), targets = [Double]()
        while let (index, line) = lines.next() {
            let row = cells(line)
            guard row.count == header.count else { throw .ragged(line: index + 1, expected: header.count, got: row.count) }
            for (j, cell) in row.enumerated() {
                guard let v = Double(cell), v.isFinite else {
                    throw .notNumeric(line: index + 1, column: header[j], value: cell)
                }
                if j == targetIndex { targets.append(v) } else { inputs.append(Float(v)) }
            }
        }
        guard targets.count >= 2 else { throw .tooFewRows(targets.count) }
        let features = header.count - 1
        if targets.allSatisfy({ $0 == $0.rounded() }) {
            let classes = Array(Set(targets)).sorted()
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int32($0)) })
            return Dataset(
                features: features, inputs: inputs,
                targets: .labels(targets.map { index[$0]! }, classes: classes.count))
        }
        return Dataset(features: features, inputs: inputs, targets: .values(targets.map(Float.init), width: 1))
    }

    private static func cells(_ line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }
}
