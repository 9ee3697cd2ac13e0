import Foundation

/// Why a file could not be read, in words a user can act on. Foundation's
/// own message on Linux ("The operation could not be completed") does not
/// say.
public func fileReadProblem(_ path: String, _ error: Error) -> String {
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "no such file" }
    if isDirectory.boolValue { return "it is a folder, not a file" }
    if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
    return (error as NSError).localizedDescription
}
