/// Maps method and path to a handler. Patterns are literal segments and
/// `{name}` parameters: `/api/jobs/{id}/events`.
public struct Router: Sendable {
    public typealias Handler = @Sendable (Request) throws -> Response
    /// What a route requires of a request's headers (a token, say): checked
    /// by the server as soon as the headers are in, before any body is read,
    /// and again when the request is answered.
    public typealias Check = @Sendable (Request) throws -> Void

    private enum Segment: Sendable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        var method: String
        var segments: [Segment]
        var before: Check?
        var handler: Handler
    }

    private var routes: [Route] = []
    /// The methods some route checks headers for (`check` skips the others).
    private var checkedMethods: Set<String> = []
    /// Answers what no route matches (static files), or nil for 404.
    public var fallback: (@Sendable (Request) throws -> Response?)?
    /// When set, every response allows this origin (CORS) and OPTIONS
    /// preflights are answered; when nil, browsers keep their same-origin rule.
    public var corsOrigin: String?

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, before: Check? = nil, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/").map { p in
            p.hasPrefix("{") && p.hasSuffix("}") ? Segment.parameter(String(p.dropFirst().dropLast())) : .literal(String(p))
        }
        routes.append(Route(method: method, segments: segments, before: before, handler: handler))
        if before != nil { checkedMethods.insert(method) }
    }

    /// The error response for a request whose headers its route refuses, or
    /// nil: `head` has no body yet.
    public func check(_ head: Request) -> Response? {
        guard checkedMethods.contains(head.method), let (route, params) = find(head) else { return nil }
        guard let before = route.before else { return nil }
        var r = head
        r.parameters = params
        do { try before(r) } catch { return HTTPError.response(for: error) }
        return nil
    }

    private func find(_ request: Request) -> (Route, [String: String])? {
        let parts = Self.parts(request.path)
        for route in routes where route.method == request.method {
            if let params = Self.match(route.segments, parts) { return (route, params) }
        }
        return nil
    }

    // Split on the bytes: String's split walks grapheme clusters, which cost a sixth of a small GET.
    private static func parts(_ path: String) -> [Substring] {
        path.utf8.split(separator: UInt8(ascii: "/")).map { Substring($0) }
    }

    /// The response for `request`: the handler's, a 405 when the path exists
    /// for other methods, or a 404. Thrown `HTTPError`s become their JSON
    /// responses; anything else a 500 that reveals nothing.
    public func respond(to request: Request) -> Response {
        if let origin = corsOrigin, request.method == "OPTIONS" {
            return Response(status: 204, headers: [
                ("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
                ("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID"), ("Access-Control-Max-Age", "600"),
            ])
        }
        let response = route(request)
        // A later answer is decorated when it is ready (the server calls `decorate`).
        if case .later = response.body { return response }
        return decorate(response)
    }

    /// What every answer carries, whoever made it (a route, a refusal from
    /// the headers, a later answer): the CORS header when configured.
    public func decorate(_ response: Response) -> Response {
        guard let origin = corsOrigin else { return response }
        var response = response
        response.headers.append(("Access-Control-Allow-Origin", origin))
        return response
    }

    private func route(_ request: Request) -> Response {
        do {
            let parts = Self.parts(request.path)
            var allowed: [String] = []
            for route in routes {
                guard let params = Self.match(route.segments, parts) else { continue }
                guard route.method == request.method || (route.method == "GET" && request.method == "HEAD") else {
                    allowed.append(route.method)
                    continue
                }
                var r = request
                r.parameters = params
                try route.before?(r)
                return try route.handler(r)
            }
            if !allowed.isEmpty {
                return HTTPError(405, "method_not_allowed", "\(request.method) is not allowed on \(request.path)",
                                 headers: [("Allow", allowed.joined(separator: ", "))]).response
            }
            if let fallback, let response = try fallback(request) { return response }
            return HTTPError.notFound("no such resource: \(request.path)").response
        } catch {
            return HTTPError.response(for: error)
        }
    }

    private static func match(_ pattern: [Segment], _ parts: [Substring]) -> [String: String]? {
        guard pattern.count == parts.count else { return nil }
        for (p, part) in zip(pattern, parts) {
            if case .literal(let text) = p, !text.utf8.elementsEqual(part.utf8) { return nil }
        }
        var params: [String: String] = [:]
        for (p, part) in zip(pattern, parts) {
            if case .parameter(let name) = p { params[name] = String(part) }
        }
        return params
    }
}
