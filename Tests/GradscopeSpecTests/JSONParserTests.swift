import Foundation
import Testing
@testable import GradscopeSpec

/// The hand-written parser against Foundation's on what both accept, and
/// on what it must refuse without crashing.
struct JSONParserTests {
    @Test(arguments: [
        #"{"a": [1, -2.5e-3, 0, -0, 1e308, 123456789012345678901234567890, 0.1], "b": {"c": null, "d": true, "e": false}}"#,
        #"["plain", "esc\"aped\\\/\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "ünïcödé 😀"]"#,
        "  \n\t[ ]  ", "{}", "3", "\"x\"", "[[[[[]]]]]"
    ])
    func agreesWithFoundation(_ text: String) throws {
        let data = Data(text.utf8)
        #expect(try JSONValue.parse(data) == JSONDecoder().decode(JSONValue.self, from: data))
    }

    @Test func numbersAreCorrectlyRounded() throws {
        for text in ["0.1", "2.2250738585072014e-308", "1.7976931348623157e308", "-1234567.25e-2", "9007199254740993", "5e-324"] {
            #expect(try JSONValue.parse(Data(text.utf8)) == .number(Double(text)!), "\(text)")
        }
    }

    @Test(arguments: [
        ("", "end"), ("[1,]", "unexpected character"), ("{\"a\" 1}", "':'"), ("[1 2]", "','"), ("01", "after the document"),
        ("1.", "digits"), ("1e", "exponent"), ("\"a\u{1}\"", "control"), ("\"\\x\"", "escape"), ("\"\\ud800\"", "surrogate"),
        ("tru", "literal"), ("{\"a\": 1", "end of the document"), ("\"abc", "unterminated"), ("[1] x", "after the document"), ("NaN", "unexpected"), (#"{"a": 1, "a": 2}"#, "duplicate"), ("{", "end of the document"),
    ])
    func refusesWhatIsNotJSON(_ text: String, _ reason: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(text.utf8)) }
        do { _ = try JSONValue.parse(Data(text.utf8)) } catch { #expect(error.description.contains(reason), "\(text): \(error)") }
    }

    @Test func stringsThatAreNotUTF8AreRefused() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x22], [0x22, 0xFF, 0x61, 0x22], [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22], [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D]] {
            do { _ = try JSONValue.parse(Data(bytes)); Issue.record("accepted \(bytes)") } catch { #expect(error.message.contains("UTF-8")) }
        }
        #expect((try? JSONValue.parse(Data(#""ünï 😀""#.utf8))) == .string("ünï 😀"))
    }

    /// A hostile body nests far deeper than any spec: refused, not followed down the stack.
    @Test func deepNestingIsRefusedNotACrash() {
        let deep = Data(String(repeating: "[", count: 200_000).utf8)
        do { _ = try JSONValue.parse(deep); Issue.record("accepted") } catch { #expect(error.message.contains("nesting")) }
        let ok = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        #expect((try? JSONValue.parse(Data(ok.utf8))) != nil)
    }
}

extension JSONParserTests {
    @Test func linesAreOneDocumentEachAndErrorsNameTheirDocument() throws {
        #expect(try JSONValue.parseLines(Data("{\"a\": 1}\n\n  [2] \r\n3".utf8)) == [.object(["a": .number(1)]), .array([.number(2)]), .number(3)])
        #expect(try JSONValue.parseLines(Data("\n".utf8)) == [])
        do { _ = try JSONValue.parseLines(Data("1\n{\"a\":}\n".utf8)); Issue.record("accepted") } catch { #expect(error.index == 1) }
        do { _ = try JSONValue.parseLines(Data("1 2\n".utf8)); Issue.record("accepted") } catch { #expect(error.index == 1) }
    }
}
