import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec

/// The routes that describe the server: presets, health.
extension Service {
    /// Encoded once: the presets never change while the server runs.
    static let presetsBody: Data = Response.encode(["presets": Presets.all.map { p in
        JSONValue.object(["name": .string(p.name), "title": .string(p.title), "description": .string(p.description),
                          "spec": (try? JSONValue.parse(Data(p.spec.utf8))) ?? .null])
    }])

    func health() async throws -> Response {
        let c = try await jobs.counts()
        return .json(encoding: ["status": JSONValue.string("ok"), "jobs_running": .number(Double(c[.running] ?? 0)),
                                "jobs_queued": .number(Double(c[.queued] ?? 0))])
    }
}
