/// An uploaded dataset as `GET /api/datasets` lists it, stored beside its CSV.
struct DatasetDescription: Codable, Sendable {
    var id: String
    var name: String
    var rows: Int
    var columns: [String]
}
