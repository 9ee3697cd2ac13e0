/// A job spec that cannot run, with the field at fault as a path
/// (`optimizer.lr`, `layers[3].units`) and a message that says what is
/// accepted. `description` reads as one sentence: "optimizer.lr must be a
/// finite number > 0, got -1".
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field) \(message)" }
}
