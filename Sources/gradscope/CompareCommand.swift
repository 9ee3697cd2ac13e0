import ArgumentParser
import Foundation
import GradscopeDiagnosis
import GradscopeRun
import GradscopeSpec

/// `gradscope compare SPEC.json`: the job and its remedy variants, side by side.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run a job and its remedy variants with the same seed and data, and compare them.",
        discussion: """
            A remedy works when its variant learns with healthy gradients: it is healthy, its final loss (the \
            last epoch's mean training loss) is at least 10% below the best constant prediction's, and \
            lower than the original's. With --remedies auto (the default) the original's ranked \
            remedies are tried in order until one works; a list runs each of them. Remedies: \
            \(Remedy.Kind.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

    @Argument(help: "The job spec (JSON).")
    var spec: String

    @Option(help: "auto, or a comma-separated list of remedies.")
    var remedies = "auto"

    @Flag(help: "Print one JSON object per trial instead of a table.")
    var json = false

    func run() throws {
        do {
            let data = try readFile(spec)
            let document = try JobSpec.parse(data).json
            let selection = try parseSelection()
            let base = URL(fileURLWithPath: spec).deletingLastPathComponent().path
            if !json { print(Self.header) }
            _ = try RemedyExperiment.run(spec: document, baseDirectory: base, selection: selection, progress: { trial in
                print(json ? RemedyExperiment.json(trial) : Self.row(trial))
                fflush(nil)
            })
        } catch let error as SpecError {
            fail("\(spec): \(error)")
        } catch let error as CLIError {
            fail(error.message)
        }
    }

    private func parseSelection() throws(CLIError) -> RemedyExperiment.Selection {
        if remedies == "auto" { return .auto }
        var kinds: [Remedy.Kind] = []
        for name in remedies.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let kind = Remedy.Kind(rawValue: name) else {
                throw CLIError("--remedies: unknown remedy \"\(name)\" (auto, or any of \(Remedy.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            kinds.append(kind)
        }
        return .list(kinds)
    }

    static let header = pad("trial", 20) + pad("verdict", 11) + pad("final loss", 12) + pad("accuracy", 10)
        + pad("max ‖g‖", 12) + pad("1st alert", 10) + "works"

    static func row(_ t: RemedyExperiment.Trial) -> String {
        pad(t.name, 20) + pad(t.verdict.rawValue, 11) + pad(number(t.finalLoss), 12)
            + pad(t.accuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–", 10)
            + pad(number(t.maxGradNorm), 12) + pad(t.firstAlertStep.map(String.init) ?? "–", 10)
            + (t.works.map { $0 ? "yes" : "no" } ?? "")
    }

    static func number(_ v: Double) -> String { v.isFinite ? String(format: "%.4g", v) : v.isNaN ? "NaN" : "\(v)" }
    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
}
