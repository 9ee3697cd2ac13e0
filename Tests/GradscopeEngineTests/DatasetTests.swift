import Foundation
import Testing
@testable import GradscopeEngine

struct DatasetTests {
    @Test func digitsHasTheUCIShapeAndLabels() throws {
        let d = try DigitsData.load()
        #expect(d.count == 1797 && d.features == 64 && d.classes == 10)
        guard case .labels(let labels, _) = d.targets else { Issue.record("digits must be labelled"); return }
        let counts = (0..<10).map { c in labels.filter { $0 == c }.count }
        // The per-class counts of scikit-learn's load_digits.
        #expect(counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        #expect(d.inputs.min()! == 0 && d.inputs.max()! == 1)
        // The first image of load_digits (a zero), row 0: 0 0 5 13 9 1 0 0.
        #expect(Array(d.inputs[0..<8]) == [0, 0, 5, 13, 9, 1, 0, 0].map { Float($0) / 16 })
    }

    @Test func csvWithIntegerTargetsIsClassification() throws {
        let d = try CSVData.parse("a,b,label\n1,2,3\n4,5,9\n6,7,3\n", target: "label")
        #expect(d.features == 2 && d.count == 3)
        #expect(d.inputs == [1, 2, 4, 5, 6, 7])
        guard case .labels(let l, let c) = d.targets else { Issue.record("expected labels"); return }
        #expect(l == [0, 1, 0] && c == 2)
    }

    @Test func csvWithRealTargetsIsRegressionAndTargetMayBeAnyColumn() throws {
        let d = try CSVData.parse("y, x1 ,x2\r\n0.5,1,2\r\n\r\n1.5,3,4\r\n", target: "y")
        #expect(d.inputs == [1, 2, 3, 4])
        guard case .values(let v, 1) = d.targets else { Issue.record("expected values"); return }
        #expect(v == [0.5, 1.5])
    }

    @Test(arguments: [
        ("a,b\n1,2\n3,4\n", "label", "target column \"label\" is not in the header (columns: a, b)"),
        ("a,label\n1,2\n3\n", "label", "line 3 has 1 cells, the header has 2"),
        ("a,label\n1,2\nx,4\n", "label", "line 3, column \"a\": \"x\" is not a number"),
        ("a,label\n1,nan\n2,3\n", "label", "line 2, column \"label\": \"nan\" is not a number"),
        ("a,label\n1,2\n", "label", "the data has 1 rows; at least 2 are needed"),
        ("", "label", "data.csv has no header row"),
        ("a\n1\n2\n", "a", "the header has only the target column \"a\"; at least one feature column is needed"),
    ])
    func csvErrorsSayWhatIsWrong(text: String, target: String, message: String) {
        #expect(throws: DataError.self) { try CSVData.parse(text, target: target, source: "data.csv") }
        do { _ = try CSVData.parse(text, target: target, source: "data.csv") } catch { #expect(error.description == message) }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: DataError.self) { try CSVData.load(path: "/nonexistent/x.csv", target: "y") }
    }

    @Test func syntheticSetsAreDeterministicAndBalanced() {
        func make(_ seed: UInt64) -> [Dataset] {
            var r = Random(seed: seed)
            return [
                SyntheticData.spirals(samples: 300, classes: 3, noise: 0.1, random: &r),
                SyntheticData.moons(samples: 200, noise: 0.1, random: &r),
                SyntheticData.circles(samples: 200, noise: 0.05, factor: 0.5, random: &r),
                SyntheticData.blobs(samples: 300, classes: 3, features: 5, std: 1, random: &r),
                SyntheticData.xor(samples: 400, noise: 0, random: &r),
                SyntheticData.sine(samples: 100, noise: 0, random: &r),
            ]
        }
        let a = make(1), b = make(1), c = make(2)
        for (x, y) in zip(a, b) { #expect(x.inputs == y.inputs) }
        #expect(a[0].inputs != c[0].inputs)
        for d in a.prefix(4) {
            guard case .labels(let l, let k) = d.targets else { continue }
            let counts = (0..<k).map { c in l.filter { $0 == c }.count }
            #expect(counts.max()! - counts.min()! <= 1)
        }
        // xor without noise: label 1 exactly when the signs differ.
        let xor = a[4]
        if case .labels(let l, _) = xor.targets {
            for i in 0..<xor.count { #expect((l[i] == 1) == ((xor.inputs[2 * i] > 0) != (xor.inputs[2 * i + 1] > 0))) }
        }
        if case .values(let v, _) = a[5].targets {
            for i in 0..<a[5].count { #expect(abs(v[i] - sin(a[5].inputs[i])) < 1e-6) }
        }
    }

    @Test func splitHoldsOutTheFractionAndStandardizeUsesTrainStatistics() {
        var r = Random(seed: 1)
        let d = SyntheticData.blobs(samples: 100, classes: 2, features: 3, std: 2, random: &r)
        var (train, validation) = d.split(validationFraction: 0.2, random: &r)
        #expect(train.count == 80 && validation?.count == 20)
        let stats = train.standardize()
        let col0 = (0..<train.count).map { Double(train.inputs[$0 * 3]) }
        #expect(abs(col0.reduce(0, +) / 80) < 1e-5)
        #expect(abs(col0.map { $0 * $0 }.reduce(0, +) / 80 - 1) < 1e-4)
        validation?.standardize(using: stats)
        #expect(validation!.inputs.allSatisfy { $0.isFinite })
    }
}

/// The long-range sequence tasks follow Pascanu et al.'s generators.
struct SequenceDataTests {
    @Test func addingProblemMarksTwoValuesAndAveragesThem() {
        var r = Random(seed: 3, stream: .data)
        let t = 40
        let d = SequenceData.adding(samples: 200, length: t, random: &r)
        #expect(d.sequenceLength == t && d.features == 2 * t)
        guard case .values(let y, 1) = d.targets else { Issue.record("not regression"); return }
        for s in 0..<d.count {
            let row = Array(d.inputs[(s * 2 * t)..<((s + 1) * 2 * t)])
            let marked = (0..<t).filter { row[2 * $0] == 1 }
            #expect(marked.count == 2)
            #expect(marked[0] < t / 10 && marked[1] >= t / 10 && marked[1] < t / 10 + 2 * t / 5)
            #expect(abs(y[s] - (row[2 * marked[0] + 1] + row[2 * marked[1] + 1]) / 2) < 1e-6)
            #expect((0..<t).allSatisfy { row[2 * $0 + 1] >= 0 && row[2 * $0 + 1] < 1 })
        }
    }

    @Test func temporalOrderClassIsTheOrderOfTheTwoMarkedSymbols() {
        var r = Random(seed: 4, stream: .data)
        let t = 50
        let d = SequenceData.temporalOrder(samples: 200, length: t, random: &r)
        guard case .labels(let y, 4) = d.targets else { Issue.record("not 4 classes"); return }
        for s in 0..<d.count {
            let symbols = (0..<t).map { k in (0..<6).first { d.inputs[s * 6 * t + 6 * k + $0] == 1 }! }
            let marked = (0..<t).filter { symbols[$0] < 2 }
            #expect(marked.count == 2)
            #expect(marked[0] >= t / 10 && marked[0] < 2 * (t / 10) && marked[1] >= t / 2 && marked[1] < t / 2 + t / 10)
            #expect(Int(y[s]) == symbols[marked[0]] + 2 * symbols[marked[1]])
        }
        #expect(Set(y).count == 4)
    }

    @Test func memoryTaskLabelIsTheFirstSymbol() {
        var r = Random(seed: 5, stream: .data)
        let d = SequenceData.memory(samples: 100, length: 20, symbols: 10, random: &r)
        guard case .labels(let y, 2) = d.targets else { Issue.record("not 2 classes"); return }
        for s in 0..<d.count {
            let row = d.inputs[(s * 200)..<((s + 1) * 200)]
            #expect(row.reduce(0, +) == 20)  // one-hot at every step
            #expect(d.inputs[s * 200 + Int(y[s])] == 1)
            #expect((1..<20).allSatisfy { k in (0..<2).allSatisfy { d.inputs[s * 200 + k * 10 + $0] == 0 } })
        }
    }

    @Test func sameSeedSameSequencesAndSubsetsKeepTheLength() {
        var a = Random(seed: 9, stream: .data), b = Random(seed: 9, stream: .data)
        let x = SequenceData.adding(samples: 50, length: 20, random: &a)
        let y = SequenceData.adding(samples: 50, length: 20, random: &b)
        #expect(x.inputs == y.inputs)
        var split = Random(seed: 1)
        let (train, validation) = x.split(validationFraction: 0.2, random: &split)
        #expect(train.sequenceLength == 20 && validation?.sequenceLength == 20)
    }
}
