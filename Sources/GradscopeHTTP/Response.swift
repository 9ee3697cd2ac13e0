import Foundation
import Synchronization

/// What a handler answers: a complete body, one answered many times the
/// same (`SharedBody`), a stream that stays open and is written to from
/// other threads (Server-Sent Events), or an answer still being worked out
/// on another queue (`LaterAnswer`).
public struct Response: Sendable {
    public enum Body: Sendable {
        case data(Data)
        case shared(SharedBody)
        case stream(EventStream)
        case later(LaterAnswer)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)] = [], body: Body = .data(Data())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers,
                 body: .data(Data(text.utf8)))
    }

    /// A value encoded with Codable: the API's cold answers (lists, links,
    /// errors). Keys sorted, so that answers are stable.
    public static func json(encoding value: some Encodable, status: Int = 200, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers,
                 body: .data(encode(value)))
    }

    public static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("null".utf8)
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [("Content-Type", contentType)], body: .data(Data(text.utf8)))
    }

    public static func empty(_ status: Int) -> Response { Response(status: status) }

    /// A JSON answer sent the same way every time (see `SharedBody`).
    public static func json(_ body: SharedBody) -> Response {
        Response(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: .shared(body))
    }

    /// A Server-Sent Events response around `stream`.
    public static func eventStream(_ stream: EventStream) -> Response {
        Response(status: 200, headers: [
            ("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no"),
        ], body: .stream(stream))
    }
}

/// An error with an HTTP status and the API's one error shape:
/// `{"error": {"code", "message", "field"}}`.
public struct HTTPError: Error, Sendable {
    public var status: Int
    public var code: String
    public var message: String
    public var field: String?
    public var headers: [(String, String)]

    public init(_ status: Int, _ code: String, _ message: String, field: String? = nil, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    /// `{"error": {"code", "message", "field"}}`, `field` null when none.
    public var response: Response {
        .json(encoding: ["error": Body(code: code, message: message, field: field)], status: status, headers: headers)
    }

    private struct Body: Encodable {
        let code: String, message: String, field: String?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(code, forKey: .code)
            try c.encode(message, forKey: .message)
            try c.encode(field, forKey: .field)  // null, not absent
        }

        enum CodingKeys: String, CodingKey { case code, message, field }
    }

    public static func notFound(_ what: String = "no such resource") -> HTTPError { HTTPError(404, "not_found", what) }

    /// The response for what a handler threw: an `HTTPError`'s own, anything
    /// else a 500 that reveals nothing.
    static func response(for error: any Error) -> Response {
        (error as? HTTPError ?? HTTPError(500, "internal", "internal error")).response
    }
}

/// A body that never changes (a finished job's summary, the presets):
/// libmicrohttpd builds its response once, with the headers of the first
/// request that sends it, and queues that same response on every later
/// connection, as a C server with a prebuilt answer does. Keep one per
/// resource, not per request.
public final class SharedBody: Sendable {
    public let data: Data
    /// The libmicrohttpd response, built on first use (`HTTPServer` owns its lifetime rules).
    let built = Mutex<ResponseHandle?>(nil)

    public init(_ data: Data) { self.data = data }
    public convenience init(_ text: String) { self.init(Data(text.utf8)) }

    deinit { built.withLock { $0?.destroy() } }
}
