import Foundation
import GradscopeDiagnosis
import GradscopeHTTP
import GradscopeSpec

/// The OpenAPI 3.0 document of the API (docs/API.md), served at
/// `/api/openapi.json`. A test checks that every route the server has is
/// here and that every status the end-to-end tests receive is documented.
enum OpenAPI {
    struct Operation {
        var method: String
        var path: String
        var summary: String
        var responses: [Int: String]
        var body: String?
        var query: [String] = []
        var content = "application/json"
    }

    /// Who may call: the server's token where one is set (optional, since a
    /// server may run without), or the run's own ingest token.
    static let serverTokenPaths: Set<String> = ["post /api/jobs", "delete /api/jobs/{id}", "post /api/jobs/{id}/cancel",
                                                "post /api/jobs/{id}/remedies", "post /api/runs", "post /api/datasets"]
    static let runTokenPaths: Set<String> = ["post /api/runs/{id}/steps", "post /api/runs/{id}/finish"]

    /// Query parameters' types and bounds, as the server checks them.
    static let querySchemas: [String: JSONValue] = [
        "limit": .object(["type": .string("integer"), "minimum": .number(1), "maximum": .number(1000)]),
        "offset": .object(["type": .string("integer"), "minimum": .number(0), "maximum": .number(Double(Service.maxWhole))]),
        "from": .object(["type": .string("integer"), "minimum": .number(0), "maximum": .number(Double(Service.maxWhole))]),
        "every": .object(["type": .string("integer"), "minimum": .number(1), "maximum": .number(Double(Service.maxWhole))]),
        "points": .object(["type": .string("integer"), "minimum": .number(3), "maximum": .number(1000)]),
        "status": .object(["type": .string("string"), "enum": .array(JobMeta.Status.allCases.map { .string($0.rawValue) })]),
        "name": .object(["type": .string("string")]),
    ]

    /// The request bodies, described whole: the job spec, a run's
    /// declaration and a step record as their readers check them
    /// (`RequestSchemas`); rules between fields, limits and references to
    /// stored objects are the server's (docs/API.md).
    static let bodySchemas: [String: JSONValue] = [
        "JobSpec": parsed(RequestSchemas.jobSpec),
        "ExternalRun": parsed(RequestSchemas.externalRun),
        "RemedySelection": .object([
            "type": .string("object"), "additionalProperties": .bool(false),
            "properties": .object(["remedies": .object(["oneOf": .array([
                .object(["type": .string("string"), "enum": .array([.string("auto")])]),
                .object(["type": .string("array"), "items": .object([
                    "type": .string("string"), "enum": .array(Remedy.Kind.allCases.map { .string($0.rawValue) })])]),
            ])])]),
        ]),
        "RunFinish": .object([
            "type": .string("object"), "additionalProperties": .bool(false),
            "properties": .object([
                "status": .object(["type": .string("string"), "enum": .array(["completed", "failed", "cancelled"].map { .string($0) })]),
                "dropped": .object(["type": .string("integer"), "minimum": .number(0)]),
            ]),
        ]),
    ]

    /// Routes that answer without the store.
    static let fixedPaths: Set<String> = ["/api/presets", "/api/openapi.json", "/api/comparisons/{id}"]
    static let unreachable = "The server is stopping, or its database cannot be reached (Retry-After)"

    static let operations: [Operation] = [
        Operation(method: "post", path: "/api/jobs", summary: "Submit a job spec",
                  responses: [201: "Created", 400: "Invalid JSON, invalid spec or over a limit", 401: "Token required",
                              413: "Body too large", 429: "Queue full, or too many submissions being read (Retry-After)",
                              500: "Storage: nothing was kept", 503: "The server is stopping (Retry-After)"], body: "JobSpec"),
        Operation(method: "get", path: "/api/jobs", summary: "List jobs, newest first",
                  responses: [200: "Jobs", 400: "Invalid parameter"], query: ["status", "limit", "offset"]),
        Operation(method: "get", path: "/api/jobs/{id}", summary: "A job's status, progress, spec and summary",
                  responses: [200: "Job", 404: "No such job"]),
        Operation(method: "delete", path: "/api/jobs/{id}", summary: "Delete a job (cancelling it first)",
                  responses: [204: "Deleted", 401: "Token required", 404: "No such job"]),
        Operation(method: "post", path: "/api/jobs/{id}/cancel", summary: "Cancel a queued or running job",
                  responses: [202: "Cancelling", 401: "Token required", 404: "No such job", 409: "Already finished"]),
        Operation(method: "get", path: "/api/jobs/{id}/events", summary: "Server-Sent Events: every record, live",
                  responses: [200: "text/event-stream", 400: "Invalid Last-Event-ID or from", 404: "No such job"],
                  query: ["from"], content: "text/event-stream"),
        Operation(method: "get", path: "/api/jobs/{id}/steps", summary: "Step records as JSON",
                  responses: [200: "Steps", 400: "Invalid parameter", 404: "No such job"], query: ["from", "limit", "every", "points"]),
        Operation(method: "get", path: "/api/jobs/{id}/report", summary: "The final report",
                  responses: [200: "Report", 404: "No such job, or it ended without a report", 409: "Not finished"]),
        Operation(method: "get", path: "/api/jobs/{id}/checkpoint", summary: "The final weights as a checkpoint",
                  responses: [200: "Checkpoint", 404: "No such job, or it ended without a checkpoint", 409: "Not finished"]),
        Operation(method: "get", path: "/api/jobs/{id}/export.csv", summary: "One CSV row per recorded step and layer",
                  responses: [200: "CSV", 404: "No such job", 429: "Too many slow requests (Retry-After)"], content: "text/csv"),
        Operation(method: "post", path: "/api/jobs/{id}/remedies", summary: "Start the job's remedy experiment",
                  responses: [202: "Started (queued until the experiments before it end)", 400: "Invalid body", 401: "Token required",
                              404: "No such job", 409: "An external run (no spec to re-run)", 429: "Too many experiments waiting (Retry-After)",
                              501: "A server on a database runs no remedy experiments"],
                  body: "RemedySelection"),
        Operation(method: "get", path: "/api/comparisons/{id}", summary: "A remedy experiment's trials",
                  responses: [200: "Comparison", 404: "No such comparison"]),
        Operation(method: "post", path: "/api/runs", summary: "Create an external run (a client posts its step records)",
                  responses: [201: "Created: id, ingest token, links", 400: "Invalid run", 401: "Token required", 413: "Body too large",
                              429: "Too many runs taking records (Retry-After)", 500: "Storage: nothing was kept",
                              503: "The server is stopping (Retry-After)"], body: "ExternalRun"),
        Operation(method: "post", path: "/api/runs/{id}/steps", summary: "Post step records (NDJSON or a JSON array), checked whole, idempotent on step numbers",
                  responses: [200: "accepted, duplicates, last_step", 400: "Invalid record (the field is named)", 401: "Ingest token required",
                              404: "No such run", 409: "The run has finished", 413: "Body too large",
                              429: "The database's writer is behind: send the batch again (Retry-After)"], body: "StepRecords"),
        Operation(method: "post", path: "/api/runs/{id}/finish", summary: "Finish an external run (optional body: status, dropped): summary, report, verdict",
                  responses: [200: "Job", 400: "Invalid body", 401: "Ingest token required", 404: "No such run", 409: "Already finished"],
                  body: "RunFinish"),
        Operation(method: "post", path: "/api/datasets", summary: "Upload a numeric CSV",
                  responses: [201: "Stored", 400: "Unreadable CSV or over a limit", 401: "Token required", 413: "Body too large",
                              429: "Too many slow requests being worked on (Retry-After)", 500: "Storage: nothing was kept"],
                  body: "CSV", query: ["name"]),
        Operation(method: "get", path: "/api/datasets", summary: "Uploaded datasets", responses: [200: "Datasets"]),
        Operation(method: "get", path: "/api/presets", summary: "Ready-to-run scenarios", responses: [200: "Presets"]),
        Operation(method: "get", path: "/healthz", summary: "Liveness", responses: [200: "OK"]),
        Operation(method: "get", path: "/metrics", summary: "Prometheus metrics", responses: [200: "Text format 0.0.4"],
                  content: "text/plain"),
        Operation(method: "get", path: "/api/openapi.json", summary: "This document", responses: [200: "OpenAPI 3.0"]),
    ]

    /// One Server-Sent Event: its record's type, the record as JSON, and
    /// for step records the step as its id.
    static let sseEvent: JSONValue = .object([
        "type": .string("object"), "required": .array([.string("event"), .string("data")]),
        "properties": .object([
            "event": .object(["type": .string("string")]), "data": .object(["type": .string("string")]),
            "id": .object(["type": .string("string")]),
        ]),
    ])

    /// A schema written as JSON text; a test holds each to the document.
    static func parsed(_ text: String) -> JSONValue {
        guard let value = try? JSONValue.parse(Data(text.utf8)) else { preconditionFailure("RequestSchemas holds invalid JSON") }
        return value
    }

    /// `post /api/jobs/{id}/cancel` → `post_jobs_id_cancel`.
    static func operationId(_ op: Operation) -> String {
        let words = op.path.split(separator: "/").filter { $0 != "api" }.map { $0.filter { $0.isLetter || $0.isNumber } }
        return ([op.method] + words).joined(separator: "_")
    }

    static let document: String = {
        let errorRef: JSONValue = .object(["$ref": .string("#/components/schemas/Error")])
        var paths: [String: JSONValue] = [:]
        for op in operations {
            var operation: [String: JSONValue] = ["summary": .string(op.summary)]
            var responses: [String: JSONValue] = [:]
            // With a database, any route that reads or writes it answers 503 while it cannot be reached.
            let statuses = op.responses.merging(Self.fixedPaths.contains(op.path) ? [:] : [503: Self.unreachable]) { own, _ in own }
            for (status, description) in statuses {
                var response: [String: JSONValue] = ["description": .string(description)]
                let schema: JSONValue = status >= 400 ? errorRef
                    : op.content == "text/event-stream" ? sseEvent
                    : .object(["type": .string(op.content == "application/json" ? "object" : "string")])
                if status != 204 {
                    response["content"] = .object([(status >= 400 ? "application/json" : op.content): .object(["schema": schema])])
                }
                responses[String(status)] = .object(response)
            }
            // What the headers alone can earn on any request (HeaderCheck).
            if responses["400"] == nil {
                responses["400"] = .object(["description": .string("Malformed request headers (the error names the header)"),
                                            "content": .object(["application/json": .object(["schema": errorRef])])])
            }
            if op.body != nil {
                responses["501"] = .object(["description": .string("A Transfer-Encoding other than chunked"),
                                            "content": .object(["application/json": .object(["schema": errorRef])])])
            }
            operation["operationId"] = .string(operationId(op))
            // A created job or run leads to the operations on its id, so a
            // stateful client (schemathesis) can follow it.
            if op.method == "post", op.path == "/api/jobs" || op.path == "/api/runs", case .object(var created)? = responses["201"] {
                var links: [String: JSONValue] = [:]
                for other in operations where other.path.hasPrefix(op.path + "/{id}") || other.path.hasPrefix("/api/jobs/{id}") {
                    links[operationId(other)] = .object(["operationId": .string(operationId(other)),
                                                         "parameters": .object(["id": .string("$response.body#/id")])])
                }
                created["links"] = .object(links)
                responses["201"] = .object(created)
            }
            operation["responses"] = .object(responses)
            let key = op.method + " " + op.path
            if serverTokenPaths.contains(key) {
                operation["security"] = .array([.object([:]), .object(["bearer": .array([])])])
            } else if runTokenPaths.contains(key) {
                operation["security"] = .array([.object(["runToken": .array([])])])
            }
            var parameters: [JSONValue] = []
            if op.path.contains("{id}") {
                parameters.append(.object(["name": .string("id"), "in": .string("path"), "required": .bool(true),
                                           "schema": .object(["type": .string("string")])]))
            }
            for q in op.query {
                var schema = querySchemas[q] ?? .object(["type": .string("string")])
                if q == "limit", op.path == "/api/jobs", case .object(var o) = schema { o["maximum"] = .number(500); schema = .object(o) }
                parameters.append(.object(["name": .string(q), "in": .string("query"), "required": .bool(false), "schema": schema]))
            }
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if let body = op.body {
                var content: [String: JSONValue]
                switch body {
                case "CSV": content = ["text/csv": .object(["schema": .object(["type": .string("string")])])]
                case "StepRecords":
                    content = ["application/x-ndjson": .object(["schema": .object(["type": .string("string")])]),
                               "application/json": .object(["schema": .object([
                                   "type": .string("array"), "maxItems": .number(10_000), "items": parsed(RequestSchemas.stepRecord)])])]
                default: content = ["application/json": .object(["schema": bodySchemas[body] ?? .object(["type": .string("object")])])]
                }
                operation["requestBody"] = .object(["required": .bool(["JobSpec", "ExternalRun", "CSV"].contains(body)), "content": .object(content)])
            }
            if case .object(var existing)? = paths[op.path] {
                existing[op.method] = .object(operation)
                paths[op.path] = .object(existing)
            } else {
                paths[op.path] = .object([op.method: .object(operation)])
            }
        }
        let error: JSONValue = .object([
            "type": .string("object"), "required": .array([.string("error")]),
            "properties": .object(["error": .object([
                "type": .string("object"), "required": .array([.string("code"), .string("message"), .string("field")]),
                "properties": .object([
                    "code": .object(["type": .string("string")]), "message": .object(["type": .string("string")]),
                    "field": .object(["type": .string("string"), "nullable": .bool(true)]),
                ]),
            ])]),
        ])
        guard case .object(let components) = parsed(RequestSchemas.components) else { preconditionFailure("components is not an object") }
        return String(decoding: Response.encode(JSONValue.object([
            "openapi": .string("3.0.3"),
            "info": .object(["title": .string("gradscope"), "version": .string("1.0.0"),
                             "description": .string("Gradient-explosion diagnostics: jobs, live step streams, reports.")]),
            "paths": .object(paths),
            "components": .object(["schemas": .object(components.merging(["Error": error]) { $1 }),
                                   "securitySchemes": .object([
                                       "bearer": .object(["type": .string("http"), "scheme": .string("bearer"),
                                                          "description": .string("The server's token (--token), when it has one")]),
                                       "runToken": .object(["type": .string("http"), "scheme": .string("bearer"),
                                                            "description": .string("The run's ingest token, returned by POST /api/runs")]),
                                   ])]),
        ])), as: UTF8.self)
    }()
}
