import Foundation
import Testing
@testable import GradscopeService

#if canImport(Glibc)
import Glibc
#endif

/// Clients that send what they should not, or stop half-way, over raw
/// sockets: each gets a clear answer or a closed connection, at once, and
/// the server stays up with nothing held for them.
extension ServiceTests {
    /// Sends raw bytes on a new connection and reads the answer until the
    /// server closes it or `timeout` passes.
    static func raw(_ h: Harness, _ bytes: String, timeout: Int = 5) throws -> (text: String, seconds: Double) {
        let fd = try h.client.connect()
        defer { close(fd) }
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        _ = bytes.utf8CString.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        var raw = Data(), buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            raw.append(buffer, count: n)
        }
        return (String(decoding: raw, as: UTF8.self), Date().timeIntervalSince(start))
    }

    /// RFC 9112's rules that libmicrohttpd leaves to us, and a NUL in the path.
    @Test(arguments: [
        ("POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}", "400", "Content-Length"),
        ("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", "400", "Host"),
        ("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n", "400", "Host"),
        ("POST /api/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n", "501", "Transfer-Encoding"),
        ("POST /api/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400", "Content-Length"),
        ("GET /index.html%00.png HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "404", nil),
    ] as [(String, String, String?)])
    func malformedHeadersGetAClearErrorAtOnce(request: String, status: String, field: String?) throws {
        let h = try Harness()
        defer { h.close() }
        let (text, seconds) = try Self.raw(h, request)
        #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(text)")
        if let field { #expect(text.contains(#""field":"\#(field)""#), "\(text)") }
        #expect(seconds < 2, "answered after \(seconds) s")
        #expect(try h.client.request("GET", "/healthz").status == 200)
    }

    /// Tokens and declared sizes are judged on the headers: the answer comes
    /// before the body is sent, and `Expect: 100-continue` gets no 100.
    /// (With a database, a replica that has not seen a run yet checks its
    /// token after the body, since it must ask the database: no run case then.)
    @Test(arguments: [
        ("POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n", "401"),
        ("POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: bearer s3cret\r\nContent-Length: 9000000\r\nExpect: 100-continue\r\n\r\n", "413"),
    ] + (TestDatabase.url != nil ? [] : [
        ("POST /api/runs/j-000001/steps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n", "404"),
    ]))
    func headersAreJudgedBeforeTheBody(request: String, status: String) throws {
        let h = try Harness(token: "s3cret")
        defer { h.close() }
        let (text, seconds) = try Self.raw(h, request)
        #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(text)")
        #expect(!text.contains("100 Continue"))
        #expect(seconds < 2, "answered after \(seconds) s")
    }

    /// A run's own token is checked before its body too. A client that does
    /// not wait for "100 Continue" is already sending its body: that is read
    /// and dropped, and the 401 comes after it, not a reset.
    @Test func aWrongRunTokenIsRefusedBeforeTheBody() throws {
        let h = try Harness()
        defer { h.close() }
        let (id, _) = try createRun(h)
        let (text, seconds) = try Self.raw(h, "POST /api/runs/\(id)/steps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
        #expect(text.hasPrefix("HTTP/1.1 401 "), "\(text)")
        #expect(seconds < 2)
        let body = String(repeating: Self.stepLines(1...1) + "\n", count: 2000)
        let sent = try h.client.request("POST", "/api/runs/\(id)/steps", body: body, headers: ["Authorization": "Bearer wrong"])
        #expect(sent.status == 401 && sent.error["code"] as? String == "unauthorized", "\(sent.status) \(sent.text)")
        // The scheme's name is case-insensitive.
        let created = try h.client.request("POST", "/api/runs", body: Self.runSpec)
        let other = created.json["id"] as? String ?? "", token = created.json["token"] as? String ?? ""
        let r = try h.client.request("POST", "/api/runs/\(other)/steps", body: Self.stepLines(1...2), headers: ["Authorization": "bearer \(token)"])
        #expect(r.status == 200, "\(r.text)")
    }

    /// A chunked body that never ends is cut off past twice the route's limit.
    @Test func anEndlessChunkedBodyIsCutOff() throws {
        let h = try Harness()
        defer { h.close() }
        let fd = try h.client.connect()
        defer { close(fd) }
        var wait = timeval(tv_sec: 5, tv_usec: 0)  // a regression fails, not hangs
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let head = "POST /api/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        _ = head.utf8CString.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        let chunk = Data("10000\r\n".utf8) + Data(repeating: 32, count: 0x10000) + Data("\r\n".utf8)
        var sent = 0
        while sent < 64 << 20 {
            let n = chunk.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += 0x10000
        }
        // Cut at 2 MiB, plus what the kernel's buffers hold on both ends.
        #expect(sent > 1 << 20 && sent < 16 << 20, "the server took \(sent) bytes of a 1 MiB route")
        #expect(try h.client.request("GET", "/healthz").status == 200)
    }

    /// Clients that send their headers and part of a body, then leave, are
    /// let go as soon as their end of stream arrives, not at the idle timeout.
    @Test func halfSentRequestsAreReleasedAtTheirEnd() throws {
        let h = try Harness()
        defer { h.close() }
        let before = h.service.openConnections
        var fds: [Int32] = []
        for _ in 0..<200 {
            let fd = try h.client.connect()
            let partial = "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"data\":"
            _ = partial.utf8CString.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count - 1, Int32(MSG_NOSIGNAL)) }
            fds.append(fd)
        }
        // The server holds them all (so what follows tests their release)...
        let held = Date().addingTimeInterval(5)
        while Date() < held && h.service.openConnections < before + 200 { usleep(10_000) }
        #expect(h.service.openConnections >= before + 200)
        // ...and lets them go when they end, long before any deadline.
        fds.forEach { close($0) }
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline && h.service.openConnections > before { usleep(20_000) }
        #expect(h.service.openConnections <= before, "\(h.service.openConnections) connections still open")
    }

    /// Slow headers: a connection that has not finished its headers by the
    /// deadline is closed, and when slow ones fill a worker's share of the
    /// connections, new ones shed the oldest, so a quick request still gets in.
    @Test func slowHeadersAreCutOffAndCannotKeepOthersOut() throws {
        let h = try Harness { $0.http.connectionLimit = 40; $0.http.headerSeconds = 1 }
        defer { h.close() }
        var slow: [Int32] = []
        defer { slow.forEach { close($0) } }
        for _ in 0..<80 {
            let fd = try h.client.connect()
            _ = "GET /healthz HTTP/1.1\r\nHo".utf8CString.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count - 1, Int32(MSG_NOSIGNAL)) }
            slow.append(fd)
        }
        let start = Date()
        #expect(try h.client.request("GET", "/healthz").status == 200)
        #expect(Date().timeIntervalSince(start) < 2, "a quick request waited \(Date().timeIntervalSince(start)) s")
        // Past the deadline every slow one has been closed by the server.
        usleep(2_000_000)
        var buffer = [UInt8](repeating: 0, count: 16)
        let closed = slow.filter { fd in
            var wait = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
            let n = recv(fd, &buffer, buffer.count, 0)
            return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }.count
        #expect(closed == slow.count, "\(slow.count - closed) slow connections still open")
    }
}
