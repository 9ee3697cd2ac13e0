import Foundation

/// Files under one folder, served as they are: `index.html` for `/`, a
/// content type from the extension, `Cache-Control: no-cache` (the files
/// change with each release and are small). A path that would leave the
/// folder (`..`, symlinks out of it) is not found.
public struct StaticFiles: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL.resolvingSymlinksInPath() }

    static let types: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8", "json": "application/json; charset=utf-8", "svg": "image/svg+xml",
        "png": "image/png", "ico": "image/x-icon", "txt": "text/plain; charset=utf-8", "map": "application/json",
    ]

    public func response(for path: String) -> Response? {
        let relative = path == "/" ? "index.html" : String(path.drop { $0 == "/" })
        guard !relative.split(separator: "/").contains(where: { $0 == ".." || $0.hasPrefix(".") }) else { return nil }
        let file = root.appendingPathComponent(relative).standardizedFileURL.resolvingSymlinksInPath()
        guard file.path.hasPrefix(root.path + "/"), let data = try? Data(contentsOf: file) else { return nil }
        let type = Self.types[file.pathExtension.lowercased()] ?? "application/octet-stream"
        return Response(status: 200, headers: [("Content-Type", type), ("Cache-Control", "no-cache")], body: .data(data))
    }
}
