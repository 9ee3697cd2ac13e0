import Foundation
import GradscopeHTTP

/// The Server-Sent Events of a job's stream, as both backends send them.
public enum RecordEvent {
    /// A `status` event: `{"status": "running"}`.
    public static func status(_ status: String) -> Data {
        ServerSentEvent.frame(event: "status", data: String(decoding: Response.encode(["status": status]), as: UTF8.self))
    }

    /// One record's event; step records carry their step as the event id
    /// (what `Last-Event-ID` resumes from).
    public static func append(to out: inout Data, type: String, step: Int?, json: UnsafeRawBufferPointer) {
        ServerSentEvent.append(to: &out, event: type, id: type == "step" ? step : nil, data: json)
    }
}
