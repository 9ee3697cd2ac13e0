import Foundation

/// What a request's headers alone make it unacceptable for, decided before
/// any of its body is read. libmicrohttpd 0.9.75 is lenient where RFC 9112
/// is not, and leniency here is how requests are smuggled past a proxy that
/// reads them differently:
/// - it takes the first of several `Content-Length` headers (§6.3: 400);
/// - it accepts HTTP/1.1 without `Host` (§3.2: 400), or with two;
/// - it treats any `Transfer-Encoding` but exactly `chunked` as a body of
///   unknown length that never ends (§6.1: 501 for a coding it does not
///   know), and one with a `Content-Length` as well (§6.3: 400).
/// And a declared body over the route's limit is refused before it is sent
/// (413), so a client waiting on `Expect: 100-continue` sends nothing.
enum HeaderCheck {
    /// `headers`: every header in arrival order, names lowercased.
    static func problem(_ headers: [(String, String)], version: String, limit: Int) -> HTTPError? {
        var lengths: [String] = [], hosts: [String] = [], codings: [String] = []
        for (name, value) in headers {
            switch name {
            case "content-length": lengths.append(value)
            case "host": hosts.append(value)
            case "transfer-encoding": codings.append(value)
            default: break
            }
        }
        if lengths.count > 1 {
            return HTTPError(400, "bad_request", "the request has \(lengths.count) Content-Length headers; send one", field: "Content-Length")
        }
        if hosts.count > 1 {
            return HTTPError(400, "bad_request", "the request has \(hosts.count) Host headers; send one", field: "Host")
        }
        if hosts.isEmpty && version == "HTTP/1.1" {
            return HTTPError(400, "bad_request", "an HTTP/1.1 request needs a Host header", field: "Host")
        }
        if let coding = codings.first {
            guard codings.count == 1, coding.trimmingCharacters(in: .whitespaces).lowercased() == "chunked" else {
                return HTTPError(501, "not_implemented",
                                 "Transfer-Encoding \(codings.joined(separator: ", ")) is not supported: send the body with Content-Length, or chunked",
                                 field: "Transfer-Encoding")
            }
            if !lengths.isEmpty {
                return HTTPError(400, "bad_request", "the request has both Transfer-Encoding and Content-Length; send one",
                                 field: "Content-Length")
            }
        }
        if let length = lengths.first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), length > limit {
            return HTTPError(413, "payload_too_large", "the request body is \(length) bytes, more than the limit of \(limit)")
        }
        return nil
    }
}
