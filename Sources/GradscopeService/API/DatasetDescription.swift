/// An uploaded dataset as `GET /api/datasets` lists it, stored beside its CSV.
public struct DatasetDescription: Codable, Sendable {
    public var id: String
    public var name: String
    public var rows: Int
    public var columns: [String]

    public init(id: String, name: String, rows: Int, columns: [String]) {
        self.id = id
        self.name = name
        self.rows = rows
        self.columns = columns
    }
}
