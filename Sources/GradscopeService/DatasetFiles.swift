import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec
import Synchronization

/// Uploaded datasets: CSV files with their descriptions in the data directory.
extension JobManager {
    /// Stores an upload and its description; on failure (a full disk) neither is kept.
    public func storeDataset(csv: Data, name: String, rows: Int, columns: [String]) throws(StorageFailure) -> String {
        let id = "d-" + UUID().uuidString.prefix(8).lowercased()
        let description = store.datasetURL(id).deletingPathExtension().appendingPathExtension("json")
        let meta = Response.encode(DatasetDescription(id: id, name: name, rows: rows, columns: columns))
        do {
            try csv.write(to: store.datasetURL(id), options: .atomic)
            try meta.write(to: description, options: .atomic)
        } catch {
            for url in [store.datasetURL(id), description] { try? FileManager.default.removeItem(at: url) }
            throw StorageFailure(message: "\(error)")
        }
        return id
    }

    /// The descriptions of every uploaded dataset.
    public func datasetDescriptions() -> [DatasetDescription] {
        let dir = store.root.appendingPathComponent("datasets")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return files.compactMap { file in
            (try? Data(contentsOf: dir.appendingPathComponent(file))).flatMap { try? JSONDecoder().decode(DatasetDescription.self, from: $0) }
        }
    }

    public func datasetFile(_ id: String) -> String? { datasetPath(id) }

    func datasetPath(_ id: String) -> String? {
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else { return nil }
        let path = store.datasetURL(id).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
