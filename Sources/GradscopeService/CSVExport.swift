import GradscopeEngine
import GradscopeSpec

/// `GET /api/jobs/{id}/export.csv`: one row per layer per recorded step,
/// built from the stored step records as their checked reader decodes them.
enum CSVExport {
    static let header = "step,epoch,loss,lr,grad_norm,layer,layer_grad_norm,max_abs,mean_abs,zero_fraction,nan,inf,"
        + "weight_norm,update_norm,update_ratio\n"

    /// The CSV of `lines`, a job's stored records; lines that are not step
    /// records are skipped.
    static func csv(_ lines: [Substring]) -> String {
        var csv = header
        for line in lines where RecordLine(line).type == "step" {
            guard case .step(let r, let lossKnown)? = try? Record(line: line) else { continue }
            let head = [number(Double(r.step)), number(Double(r.epoch)), lossKnown ? number(r.loss) : "", number(r.learningRate),
                        number(r.gradNorm)].joined(separator: ",")
            for l in r.layers {
                let cells = [text(l.name), number(l.gradNorm), number(l.maxAbs), number(l.meanAbs), number(l.zeroFraction),
                             number(Double(l.nanCount)), number(Double(l.infCount)), number(l.weightNorm), number(l.updateNorm),
                             number(l.updateRatio)]
                csv += head + "," + cells.joined(separator: ",") + "\n"
            }
        }
        return csv
    }

    /// A number as the record writes it; empty where the record has null.
    static func number(_ v: Double?) -> String { JSONWriter.numberText(v) ?? "" }

    /// One CSV text cell (RFC 4180). A text that a spreadsheet would run as a
    /// formula (it starts with =, +, -, @, a tab or a carriage return: a
    /// layer name from an external run can be anything) gets a leading ',
    /// as OWASP's "CSV Injection" page advises.
    static func text(_ value: String) -> String {
        var s = value
        if let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { s = "'" + s }
        // On the bytes: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
