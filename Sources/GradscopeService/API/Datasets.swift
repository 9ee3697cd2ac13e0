import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec

/// The routes of `/api/datasets`: CSV uploads and their list.
extension Service {
    // MARK: Datasets, presets, health

    func upload(_ request: Request) throws -> Response {
        try offThread { [self] in try await readUpload(request) }
    }

    private func readUpload(_ request: Request) async throws -> Response {
        // Rows are counted before anything is parsed, so an oversized file is refused at once.
        let maxRows = jobs.limits.maxRows
        let lines = request.body.withUnsafeBytes { $0.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
        if lines > maxRows + 1 {
            throw HTTPError(400, "limit_exceeded", "the CSV has more than \(maxRows) rows, the limit", field: "body")
        }
        let text = String(decoding: request.body, as: UTF8.self)
        let header = text.prefix { $0 != "\n" && $0 != "\r" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = header.first, !first.isEmpty else {
            throw HTTPError(400, "invalid_parameter", "the body must be a CSV file with a header row", field: "body")
        }
        let parsed: Dataset
        do { parsed = try CSVData.parse(text, target: first, source: "the upload") } catch {
            throw HTTPError(400, "invalid_parameter", "\(error)", field: "body")
        }
        if parsed.count > jobs.limits.maxRows {
            throw HTTPError(400, "limit_exceeded", "the CSV has \(parsed.count) rows, more than the limit of \(jobs.limits.maxRows)", field: "body")
        }
        let name = request.query["name"] ?? "dataset"
        let id: String
        do { id = try await jobs.storeDataset(csv: request.body, name: name, rows: parsed.count, columns: header) } catch let failure as StorageFailure where manager != nil {
            throw Self.storageError("the dataset", failure.message)
        }
        return .json(encoding: DatasetDescription(id: id, name: name, rows: parsed.count, columns: header), status: 201)
    }

    func datasets() async throws -> Response {
        .json(encoding: ["datasets": try await jobs.datasetDescriptions()])
    }
}
