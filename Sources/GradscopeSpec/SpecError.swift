/// A job spec that cannot run, with the field at fault as a path
/// (`optimizer.lr`, `layers[3].units`) and a message that says what is
/// accepted. `description` reads as one sentence: "optimizer.lr must be a
/// finite number > 0, got -1".
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String
    /// The spec is valid but exceeds a limit of the server or the CLI.
    public var isLimit: Bool

    public init(_ field: String, _ message: String, isLimit: Bool = false) {
        self.field = field
        self.message = message
        self.isLimit = isLimit
    }

    public var description: String { field.isEmpty ? message : "\(field) \(message)" }
}
