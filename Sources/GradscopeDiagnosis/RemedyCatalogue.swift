/// The cures the report ranks for its verdict, each with why, leaving out
/// what the run already does (docs/algorithms.md §21). The spec layer turns
/// each into a patch (`RemedyPatch`), which `compare` tries.
///
/// Order: for growth across depth the initialisation first (it causes the
/// growth), for growth over time or a divergence the step size first
/// (clipping, a lower learning rate); through time clipping and an
/// orthogonal `weight_hh`; for vanishing through time an LSTM; for
/// vanishing across depth ReLU where a saturating activation is used.
enum RemedyCatalogue {
    /// Ranked cures, leaving out what the run already does.
    static func remedies(for verdict: Verdict, acrossDepth: Bool, throughTime: Bool = false, facts: ModelFacts) -> [Remedy] {
        let initReason = facts.matchedInit == "kaiming_normal"
            ? "He (kaiming_normal) init keeps each ReLU layer's gain at 1, so signals neither grow nor fade with depth"
            : "Xavier init with the activation's gain keeps each layer's gain near 1, so signals neither grow nor fade with depth"
        let candidates: [Remedy]
        let gated = Remedy(kind: .lstm, reason: "an LSTM's cell state carries the gradient through time additively, gated by a forget gate that starts open (bias ln T, at least 1), instead of through a product of T Jacobians (Hochreiter & Schmidhuber 1997)")
        let orthogonal = Remedy(kind: .orthogonalRecurrent, reason: "an orthogonal weight_hh at scale 1 has every singular value 1, so to start with the gradient neither grows nor decays through time (Saxe et al. 2014)")
        switch verdict {
        case .healthy: return []
        case .exploding where throughTime, .diverged where throughTime:
            let clip = Remedy(kind: .clipNorm, reason: "clipping the global norm at 1.0 is the cure Pascanu et al. (2013) introduced for exploding gradients in recurrent nets: it keeps the direction and bounds the step")
            let lr = Remedy(kind: .lowerLearningRate, reason: "a 10× smaller learning rate keeps updates inside the region where the loss is stable")
            candidates = [clip, orthogonal, lr, gated]
        case .vanishing where throughTime:
            candidates = [gated, orthogonal]
        case .exploding, .diverged:
            let clip = Remedy(kind: .clipNorm, reason: "clipping the global norm at 1.0 bounds every update, the standard cure for exploding gradients (Pascanu et al. 2013)")
            let lr = Remedy(kind: .lowerLearningRate, reason: "a 10× smaller learning rate keeps updates inside the region where the loss is stable")
            let initialise = Remedy(kind: .matchedInit, reason: initReason)
            let bn = Remedy(kind: .batchnorm, reason: "batch normalisation rescales every layer's input, so scale cannot compound across depth")
            let res = Remedy(kind: .residual, reason: "residual links give the gradient an identity path around each block")
            // Growth across depth is the initialisation's doing; growth over time the step size's.
            candidates = acrossDepth ? [initialise, bn, clip, lr, res] : [clip, lr, initialise, bn, res]
        case .vanishing:
            let usesSaturating = !facts.activations.isDisjoint(with: [.sigmoid, .tanh, .softplus])
            var list: [Remedy] = []
            if usesSaturating {
                list.append(Remedy(kind: .relu, reason: "ReLU's derivative is 1 wherever a unit is active (sigmoid's is at most 1/4), and with He init the gradient keeps its size through depth"))
            }
            list.append(Remedy(kind: .matchedInit, reason: initReason))
            list.append(Remedy(kind: .batchnorm, reason: "batch normalisation keeps each layer's pre-activations in the range where the derivative is large"))
            list.append(Remedy(kind: .residual, reason: "residual links carry the gradient past the layers that shrink it"))
            candidates = list
        }
        return candidates.map { r in
            var r = r
            r.pytorch = pytorch(r.kind, facts: facts)
            return r
        }.filter { r in
            switch r.kind {
            case .clipNorm: !facts.clipping
            case .matchedInit: facts.initializer != facts.matchedInit
            case .relu: !facts.activations.isSubset(of: [.relu])
            case .batchnorm: !facts.hasBatchNorm
            case .residual: !facts.hasResidual && facts.denseLayers > 2
            case .lowerLearningRate: true
            case .lstm: facts.recurrentKinds.contains(.rnn)
            case .orthogonalRecurrent: !facts.recurrentKinds.isEmpty && facts.recurrentInit != "orthogonal"
            }
        }
    }

    /// The change a PyTorch user would make, for the reports of runs
    /// watched by the client (which have no spec to patch).
    static func pytorch(_ kind: Remedy.Kind, facts: ModelFacts) -> String {
        switch kind {
        case .clipNorm:
            "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0) between loss.backward() and optimizer.step()"
        case .lowerLearningRate:
            "a 10× smaller learning rate: for g in optimizer.param_groups: g[\"lr\"] /= 10"
        case .matchedInit:
            facts.matchedInit == "kaiming_normal"
                ? "nn.init.kaiming_normal_(m.weight, nonlinearity=\"relu\") and nn.init.zeros_(m.bias) on every Linear and Conv layer"
                : "nn.init.xavier_normal_(m.weight, gain=nn.init.calculate_gain(\"tanh\")) on every Linear and Conv layer (gain 1 for sigmoid)"
        case .relu:
            "nn.ReLU() in place of nn.Sigmoid()/nn.Tanh(), with nn.init.kaiming_normal_(m.weight, nonlinearity=\"relu\")"
        case .batchnorm:
            "nn.BatchNorm1d (nn.BatchNorm2d after a convolution) after every hidden Linear or Conv layer, before its activation"
        case .residual:
            "skip connections around blocks: return x + self.block(x) (matching widths)"
        case .lstm:
            "nn.LSTM in place of nn.RNN, with the forget gate's bias (the second quarter of bias_ih and bias_hh) set to 1"
        case .orthogonalRecurrent:
            "nn.init.orthogonal_(rnn.weight_hh_l0) (and every weight_hh_lk)"
        }
    }
}
