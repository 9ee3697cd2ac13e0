import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec

/// The JSON bodies that describe a job: its summary and links.
extension Service {
    static func date(_ d: Date?) -> JSONValue { d.map { .string($0.formatted(.iso8601)) } ?? .null }

    static func summary(_ m: JobMeta) -> JSONValue {
        .object([
            "id": .string(m.id), "name": m.name.map { .string($0) } ?? .null, "status": .string(m.status.rawValue),
            "created_at": date(m.createdAt), "started_at": date(m.startedAt), "finished_at": date(m.finishedAt),
            "step": .number(Double(m.step)), "total_steps": .number(Double(m.totalSteps)),
            "verdict": m.verdict.map { .string($0) } ?? .null, "error": m.error.map { .string($0) } ?? .null,
            "source": .string(m.source ?? "engine"),
        ])
    }

    static func links(_ id: String) -> JSONValue {
        let base = "/api/jobs/\(id)"
        return .object([
            "self": .string(base), "events": .string(base + "/events"), "steps": .string(base + "/steps"),
            "report": .string(base + "/report"), "checkpoint": .string(base + "/checkpoint"),
            "export": .string(base + "/export.csv"), "cancel": .string(base + "/cancel"),
        ])
    }

    static func created(_ m: JobMeta) -> JSONValue {
        .object(["id": .string(m.id), "status": .string(m.status.rawValue), "links": links(m.id)])
    }
}
