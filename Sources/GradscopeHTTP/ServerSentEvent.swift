import Foundation

/// The wire form of Server-Sent Events (WHATWG HTML, "Server-sent events"):
/// what an `EventStream` carries.
public enum ServerSentEvent {
    /// Appends one event: a `: t=<unix ms>` comment (the send time, for lag
    /// measurement), `id:` when there is one (a client that reconnects
    /// sends the last as `Last-Event-ID`), `event:` and one `data:` line
    /// (`data` must hold no newline; compact JSON has none).
    public static func append(to out: inout Data, event: String, id: Int?, data: UnsafeRawBufferPointer) {
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        var head = ": t=\(now)\n"
        if let id { head += "id: \(id)\n" }
        head += "event: \(event)\ndata: "
        out.append(contentsOf: head.utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: [10, 10])
    }

    public static func frame(event: String, id: Int? = nil, data: String) -> Data {
        var out = Data(), data = data
        data.withUTF8 { append(to: &out, event: event, id: id, data: UnsafeRawBufferPointer($0)) }
        return out
    }

    /// A comment line, which clients ignore: it keeps an idle stream from
    /// being closed by proxies and shows a dead client at once.
    public static let ping = Data(": ping\n\n".utf8)
}

extension Request {
    /// Where a reconnecting event-stream client resumes: the number in its
    /// `Last-Event-ID` header, nil when it sent none.
    public func lastEventID() throws(HTTPError) -> Int? {
        guard let last = header("last-event-id") else { return nil }
        guard let n = Int(last) else {
            throw HTTPError(400, "invalid_parameter", "Last-Event-ID must be a step number", field: "Last-Event-ID")
        }
        return n
    }
}
