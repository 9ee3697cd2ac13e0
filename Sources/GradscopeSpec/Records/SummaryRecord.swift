import GradscopeEngine

/// `{"type":"summary",…}` at the end of a run, before its report.
public struct SummaryRecord: Sendable, Equatable {
    /// What only an engine job knows; nil for an external run, whose record
    /// says `"source": "external"` and carries `dropped_steps` instead.
    public struct Training: Sendable, Equatable {
        public var epochs: Int
        public var trainLoss: Double?
        public var trainAccuracy: Double?
        public var validationLoss: Double?
        public var validationAccuracy: Double?
        public var skippedSteps: Int
        public var parameters: Int

        public init(epochs: Int, trainLoss: Double?, trainAccuracy: Double?, validationLoss: Double?,
                    validationAccuracy: Double?, skippedSteps: Int, parameters: Int) {
            self.epochs = epochs
            self.trainLoss = trainLoss
            self.trainAccuracy = trainAccuracy
            self.validationLoss = validationLoss
            self.validationAccuracy = validationAccuracy
            self.skippedSteps = skippedSteps
            self.parameters = parameters
        }
    }

    public var steps: Int
    public var finalLoss: Double?
    public var maxGradNorm: Double
    public var nonfiniteSteps: Int
    public var training: Training?
    /// External runs: steps the client measured but could not send.
    public var droppedSteps: Int

    public init(steps: Int, finalLoss: Double?, maxGradNorm: Double, nonfiniteSteps: Int, training: Training?,
                droppedSteps: Int = 0) {
        self.steps = steps
        self.finalLoss = finalLoss
        self.maxGradNorm = maxGradNorm
        self.nonfiniteSteps = nonfiniteSteps
        self.training = training
        self.droppedSteps = droppedSteps
    }

    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "summary")
        guard let t = training else {
            w.field("source", "external")
            w.field("steps", steps)
            w.field("dropped_steps", droppedSteps)
            w.field("final_loss", finalLoss)
            w.field("max_grad_norm", maxGradNorm)
            w.field("nonfinite_steps", nonfiniteSteps)
            w.endObject()
            return w.text
        }
        w.field("steps", steps)
        w.field("epochs", t.epochs)
        w.field("final_loss", finalLoss)
        w.field("train_loss", t.trainLoss)
        w.field("train_accuracy", t.trainAccuracy)
        w.field("val_loss", t.validationLoss)
        w.field("val_accuracy", t.validationAccuracy)
        w.field("max_grad_norm", maxGradNorm)
        w.field("nonfinite_steps", nonfiniteSteps)
        w.field("skipped_steps", t.skippedSteps)
        w.field("parameters", t.parameters)
        w.endObject()
        return w.text
    }

    static let fields = ["type", "source", "steps", "dropped_steps", "epochs", "final_loss", "train_loss", "train_accuracy",
                         "val_loss", "val_accuracy", "max_grad_norm", "nonfinite_steps", "skipped_steps", "parameters"]

    public init(json: JSONValue, path: String = "") throws(SpecError) {
        var r = try ObjectReader(json, path: path)
        try r.only(Self.fields, in: "a summary record")
        steps = try r.count("steps")
        finalLoss = try r.number("final_loss")
        maxGradNorm = try r.statistic("max_grad_norm") ?? .nan
        nonfiniteSteps = try r.count("nonfinite_steps")
        droppedSteps = try r.count("dropped_steps")
        if try r.string("source") == "external" {
            training = nil
        } else {
            training = Training(
                epochs: try r.count("epochs"), trainLoss: try r.number("train_loss"), trainAccuracy: try r.number("train_accuracy"),
                validationLoss: try r.number("val_loss"), validationAccuracy: try r.number("val_accuracy"),
                skippedSteps: try r.count("skipped_steps"), parameters: try r.count("parameters"))
        }
    }
}
