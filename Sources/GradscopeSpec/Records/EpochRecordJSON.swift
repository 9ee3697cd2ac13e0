import GradscopeEngine

/// `{"type":"epoch",…}` after each epoch: its encoder and checked reader.
extension EpochRecord {
    static let fields = ["type", "epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]

    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "epoch")
        w.field("epoch", epoch)
        w.field("step", step)
        w.field("train_loss", trainLoss)
        w.field("train_accuracy", trainAccuracy)
        w.field("val_loss", validationLoss)
        w.field("val_accuracy", validationAccuracy)
        w.endObject()
        return w.text
    }

    public init(json: JSONValue, path: String = "") throws(SpecError) {
        var r = try ObjectReader(json, path: path)
        try r.only(Self.fields, in: "an epoch record")
        guard let epoch = try r.integer("epoch"), let step = try r.integer("step") else {
            throw SpecError(path, "needs an epoch and a step")
        }
        self.init(epoch: epoch, step: step, trainLoss: try r.statistic("train_loss", signed: true) ?? .nan,
                  trainAccuracy: try r.number("train_accuracy"), validationLoss: try r.number("val_loss"),
                  validationAccuracy: try r.number("val_accuracy"))
    }
}
