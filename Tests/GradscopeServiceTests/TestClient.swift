import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small blocking HTTP/1.1 client over a POSIX socket, enough to talk to
/// the server as curl or a browser would: requests with a body, chunked and
/// sized responses, and Server-Sent Events read as they arrive.
struct TestClient {
    let port: UInt16

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    }

    struct Event: Equatable {
        var id: String?
        var event: String
        var data: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
        static func == (a: Event, b: Event) -> Bool { a.id == b.id && a.event == b.event && a.data == b.data }
    }

    func connect() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    func send(_ fd: Int32, method: String, path: String, headers: [String: String], body: Data) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Data(head.utf8) + body
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { break }
                sent += n
            }
        }
    }

    func request(_ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) throws -> Response {
        try request(method, path, data: Data(body.utf8), headers: headers)
    }

    func request(_ method: String, _ path: String, data: Data, headers: [String: String] = [:]) throws -> Response {
        let fd = try connect()
        defer { close(fd) }
        send(fd, method: method, path: path, headers: headers, body: data)
        var raw = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            raw.append(buffer, count: n)
        }
        return try Self.parse(raw)
    }

    static func parse(_ raw: Data) throws -> Response {
        guard let split = raw.range(of: Data("\r\n\r\n".utf8)) else { throw POSIXError(.EBADMSG) }
        let head = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[split.upperBound...])
        if headers["transfer-encoding"]?.contains("chunked") == true { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) -> Data {
        var out = Data(), rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            let end = rest.index(start, offsetBy: min(size, rest.distance(from: start, to: rest.endIndex)))
            out.append(rest[start..<end])
            rest = rest[min(rest.endIndex, rest.index(end, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex)...]
        }
        return out
    }

    /// Reads an event stream until the server closes it, `until` returns
    /// true, or `timeout` seconds pass.
    func events(_ path: String, headers: [String: String] = [:], timeout: Double = 60,
                until: (([Event]) -> Bool)? = nil) throws -> (Response, [Event]) {
        let fd = try connect()
        defer { close(fd) }
        send(fd, method: "GET", path: path, headers: headers, body: Data())
        var raw = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        var lastCheck = Date()
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            raw.append(buffer, count: n)
            // Parsing everything on every read would make a long stream quadratic (and a slow reader).
            if let until, Date().timeIntervalSince(lastCheck) > 0.1, let r = try? Self.parse(raw) {
                lastCheck = Date()
                if until(Self.parseEvents(r.body)) { break }
            }
        }
        let response = try Self.parse(raw)
        return (response, Self.parseEvents(response.body))
    }

    static func parseEvents(_ body: Data) -> [Event] {
        var events: [Event] = []
        for block in String(decoding: body, as: UTF8.self).components(separatedBy: "\n\n") {
            var e = Event(id: nil, event: "message", data: "")
            var hasData = false
            for line in block.split(separator: "\n") {
                if line.hasPrefix(":") { continue }
                if line.hasPrefix("id: ") { e.id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { e.event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { e.data = String(line.dropFirst(6)); hasData = true }
            }
            if hasData { events.append(e) }
        }
        return events
    }
}
