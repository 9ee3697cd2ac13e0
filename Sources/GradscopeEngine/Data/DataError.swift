/// Why a dataset could not be loaded; each message says what to fix.
public enum DataError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case missingColumn(String, available: [String])
    case noFeatures(target: String)
    case ragged(line: Int, expected: Int, got: Int)
    case notNumeric(line: Int, column: String, value: String)
    case tooFewRows(Int)
    case corruptResource(String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): "cannot read \(p): \(r)"
        case .empty(let p): "\(p) has no header row"
        case .missingColumn(let c, let a):
            "target column \"\(c)\" is not in the header (columns: \(a.joined(separator: ", ")))"
        case .noFeatures(let t): "the header has only the target column \"\(t)\"; at least one feature column is needed"
        case .ragged(let l, let e, let g): "line \(l) has \(g) cells, the header has \(e)"
        case .notNumeric(let l, let c, let v): "line \(l), column \"\(c)\": \"\(v)\" is not a number"
        case .tooFewRows(let n): "the data has \(n) rows; at least 2 are needed"
        case .corruptResource(let r): "the bundled \(r) is damaged; reinstall gradscope"
        }
    }
}
