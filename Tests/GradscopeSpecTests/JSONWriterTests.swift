import Foundation
import Testing
@testable import GradscopeSpec

/// The hand-written JSON encoder: what JSONSerialization reads back must be
/// what was written.
struct JSONWriterTests {
    /// Whole numbers are written exactly up to 2^53: the OpenAPI document's
    /// bounds (the reader's largest whole number) must not be rounded.
    @Test func largeWholeNumbersAreExact() {
        #expect(JSONWriter.encode(.number(8_999_999_999_999_999)) == "8999999999999999")
        #expect(JSONWriter.encode(.number(9_007_199_254_740_992)) == "9007199254740992")
        #expect(JSONWriter.encode(.number(-1e15)) == "-1000000000000000")
    }

    /// Writing a number that was read back gives the same text: records
    /// survive their reader and encoder. ±7.038531e-26 is the one float32
    /// whose shortest form reads back as a double halfway between two
    /// floats (and so as the other float).
    @Test func numbersReadBackAndWrittenAgainAreTheSame() {
        let samples: [Double] = [7.038530691851209e-26, -7.038530691851209e-26, 99_547_008.3, 1.9951865e15, 2.9999999,
                                 0.1, 1e-40, 3.4e38, 1e39, -1e15, 8_999_999_999_999_999, 16_777_217, 0.2 + 0.1]
        for v in samples {
            let once = JSONWriter.numberText(v)!
            #expect(JSONWriter.numberText(Double(once)!) == once, "\(v) → \(once)")
        }
        // Random floats of every magnitude, as statistics are.
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &random))
            let once = JSONWriter.numberText(Double(f))!
            #expect(JSONWriter.numberText(Double(once)!) == once, "\(f) → \(once)")
        }
    }

    @Test func numbersStringsAndNestingReadBack() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("ints", 0)
        w.ints("many", [0, 7, -12, 1_234_567_890, Int(Int32.min), 10, 99, 100])
        w.field("big", 1e15)
        w.field("float", 0.1)
        w.field("tiny", 1.5e-40)
        w.field("nan", Double.nan)
        w.field("missing", nil as Double?)
        w.field("yes", true)
        w.field("text", "quote \" backslash \\ newline \n tab \t bell \u{07} é ∂L/∂h_t 🙂")
        w.beginArray("nested")
        w.element(json: .object(["b": .array([.number(1), .null]), "a": .string("x")]))
        w.endArray()
        w.endObject()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(w.text.utf8)) as? [String: Any])
        #expect(parsed["ints"] as? Int == 0)
        #expect(parsed["many"] as? [Int] == [0, 7, -12, 1_234_567_890, Int(Int32.min), 10, 99, 100])
        #expect(parsed["big"] as? Double == 1e15)
        #expect(Float(parsed["float"] as? Double ?? 0) == Float(0.1))
        #expect(parsed["tiny"] as? Double ?? 0 > 0)
        #expect(parsed["nan"] is NSNull && parsed["missing"] is NSNull)
        #expect(parsed["yes"] as? Bool == true)
        #expect(parsed["text"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} é ∂L/∂h_t 🙂")
        #expect(w.text.contains(#""nested":[{"a":"x","b":[1,null]}]"#))
    }
}
