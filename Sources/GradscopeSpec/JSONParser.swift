import Foundation

extension JSONValue {
    /// Parses one JSON document (RFC 8259; surrounding whitespace allowed;
    /// a member name twice in one object is refused as the mistake it is).
    ///
    /// Written by hand because `JSONDecoder` into this enum, through
    /// `Codable`'s containers, was two thirds of the server's CPU when a
    /// client posts step records. Nesting deeper than `maxDepth` is refused
    /// rather than followed down the stack.
    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        // Data.withUnsafeBytes rethrows untyped errors: carry the result out.
        let result = data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Result<JSONValue, JSONSyntaxError> in
            var parser = JSONParser(bytes)
            return Result { () throws(JSONSyntaxError) -> JSONValue in
                parser.skipSpace()
                let value = try parser.value(depth: 0)
                parser.skipSpace()
                guard parser.at == bytes.count else { throw parser.error("unexpected text after the document") }
                return value
            }
        }
        return try result.get()
    }

    /// Parses newline-delimited JSON (one document a line, blank lines
    /// skipped), at most `limit` documents (the rest is left unread). A
    /// syntax error comes with the index of its document.
    public static func parseLines(_ data: Data, limit: Int = .max) throws(JSONLinesError) -> [JSONValue] {
        let result = data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Result<[JSONValue], JSONLinesError> in
            var parser = JSONParser(bytes)
            var values: [JSONValue] = []
            return Result { () throws(JSONLinesError) -> [JSONValue] in
                do throws(JSONSyntaxError) {
                    while true {
                        parser.skipSpace()
                        guard parser.at < bytes.count, values.count < limit else { return values }
                        values.append(try parser.value(depth: 0))
                        // The rest of the line: spaces only.
                        while let c = parser.peek, c == 0x20 || c == 0x09 || c == 0x0D { parser.at += 1 }
                        guard parser.peek == nil || parser.peek == 0x0A else {
                            throw parser.error("unexpected text after the document on its line")
                        }
                    }
                } catch {
                    throw JSONLinesError(index: values.count, syntax: error)
                }
            }
        }
        return try result.get()
    }

    public static let maxDepth = 512
}

/// A syntax error in the document at `index` of newline-delimited JSON.
public struct JSONLinesError: Error, Sendable {
    public var index: Int
    public var syntax: JSONSyntaxError
}

/// Where and why a document is not JSON.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public var offset: Int
    public var message: String
    public var description: String { "\(message) at byte \(offset)" }
}

/// The byte-level reader under `JSONValue.parse`, and under the ingest fast
/// path (`ExternalRecordScanner`), so that both read numbers the same way.
struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: at, message: message) }

    var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    mutating func skipSpace() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard let c = peek else { throw error("unexpected end of the document") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character '\(Character(Unicode.Scalar(c)))'")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard at + n <= bytes.count, memcmp(bytes.baseAddress! + at, word.utf8Start, n) == 0 else {
            throw error("invalid literal (expected \(word))")
        }
        at += n
    }

    mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
        at += 1
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(8)  // records' objects have a handful of members: no rehash while they fill
        skipSpace()
        if peek == UInt8(ascii: "}") { at += 1; return .object(members) }
        while true {
            skipSpace()
            guard let c = peek else { throw error("unexpected end of the document") }
            guard c == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let key = try string()
            guard members[key] == nil else { throw error("duplicate member name \"\(key)\"") }
            skipSpace()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            at += 1
            skipSpace()
            members[key] = try value(depth: depth)
            skipSpace()
            switch peek {
            case nil: throw error("unexpected end of the document")
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "}"): at += 1; return .object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth)") }
        at += 1
        var items: [JSONValue] = []
        skipSpace()
        if peek == UInt8(ascii: "]") { at += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            skipSpace()
            switch peek {
            case nil: throw error("unexpected end of the document")
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "]"): at += 1; return .array(items)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// A number in JSON's grammar, converted by `strtod` (correctly rounded).
    mutating func number() throws(JSONSyntaxError) -> Double {
        let start = at
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.at
            while let c = p.peek, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { p.at += 1 }
            return p.at - s
        }
        if peek == UInt8(ascii: "-") { at += 1 }
        if peek == UInt8(ascii: "0") {
            at += 1
        } else if digits(&self) == 0 {
            throw error("invalid number")
        }
        if peek == UInt8(ascii: ".") {
            at += 1
            guard digits(&self) > 0 else { throw error("invalid number: digits expected after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            at += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) > 0 else { throw error("invalid number: digits expected in the exponent") }
        }
        let length = at - start
        // Short integers (counts, steps) without strtod.
        if length <= 15, !bytes[start..<at].contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
            var v = 0
            for c in bytes[start..<at] where c != UInt8(ascii: "-") { v = v * 10 + Int(c - UInt8(ascii: "0")) }
            return bytes[start] == UInt8(ascii: "-") ? -Double(v) : Double(v)
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for i in 0..<length { buffer[i] = CChar(bitPattern: bytes[start + i]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        at += 1
        let start = at
        // The common case: no escapes, one copy.
        while let c = peek, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") {
            guard c >= 0x20 else { throw error("control character in a string") }
            at += 1
        }
        guard let stop = peek else { throw error("unterminated string") }
        if stop == UInt8(ascii: "\"") {
            at += 1
            return try utf8(UnsafeRawBufferPointer(rebasing: bytes[start..<at - 1]), from: start)
        }
        var out = Array(bytes[start..<at])
        while true {
            guard let c = peek else { throw error("unterminated string") }
            at += 1
            switch c {
            case UInt8(ascii: "\""):
                return try utf8(out, from: start)
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw error("unterminated string") }
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by \u and a low one.
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in a string")
                        }
                        at += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw error("invalid escape in a string")
                }
            default:
                guard c >= 0x20 else { throw error("control character in a string") }
                out.append(c)
            }
        }
    }

    /// JSON text is UTF-8 (RFC 8259 §8.1): a string that is not is refused,
    /// not repaired, so that what is stored is what was sent.
    func utf8(_ raw: some Collection<UInt8>, from start: Int) throws(JSONSyntaxError) -> String {
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw JSONSyntaxError(offset: start, message: "a string that is not UTF-8")
        }
        return s
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard at + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[at]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | UInt32(d)
            at += 1
        }
        return v
    }
}
