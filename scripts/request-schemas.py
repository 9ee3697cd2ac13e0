#!/usr/bin/env python3
"""Writes Sources/GradscopeService/RequestSchemas.swift: the request-body
schemas (OpenAPI 3.0.3 Schema Objects) of the job spec, a run's
declaration and a step record, as the server's readers check them. Edit
the schemas here, beside the reader you changed, and run it:

    python3 scripts/request-schemas.py           # rewrite the Swift file
    python3 scripts/request-schemas.py --check   # exit 1 if it is out of date (scripts/check-api-schema.sh)
"""
import json
import pathlib
import sys

MAX_WHOLE = 8999999999999999   # ObjectReader.integer: |d| < 9e15
INT32_MAX = 2147483647
MAX_STEPS = 10_000_000
MAX_UNITS = 65_536
MAX_SEQ = 10_000

LAYER_KINDS = ["dense", "batchnorm", "layernorm", "dropout", "residual", "rnn", "lstm", "gru",
               "identity", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus"]

# Only null: the reader reads null as absent, so a field that does not apply
# may still be given as null.
NULL = {"type": "string", "nullable": True, "enum": [None]}


def num(nullable=True, minimum=None, maximum=None, exmin=False, exmax=False, desc=None):
    s = {"type": "number"}
    if nullable:
        s["nullable"] = True
    if minimum is not None:
        s["minimum"] = minimum
        if exmin:
            s["exclusiveMinimum"] = True
    if maximum is not None:
        s["maximum"] = maximum
        if exmax:
            s["exclusiveMaximum"] = True
    if desc:
        s["description"] = desc
    return s


def pos(nullable=True):          # Check.positive: > 0
    return num(nullable, 0, exmin=True)


def nonneg(nullable=True):       # Check.nonNegative: >= 0
    return num(nullable, 0)


def whole(lo, hi, nullable=True, desc=None):
    s = {"type": "integer"}
    if nullable:
        s["nullable"] = True
    s["minimum"] = lo
    s["maximum"] = hi
    if desc:
        s["description"] = desc
    return s


def string(nullable=True, enum=None, desc=None, **extra):
    s = {"type": "string"}
    if nullable:
        s["nullable"] = True
    if enum is not None:
        s["enum"] = list(enum) + ([None] if nullable else [])
    s.update(extra)
    if desc:
        s["description"] = desc
    return s


def boolean(nullable=True, enum=None):
    s = {"type": "boolean"}
    if nullable:
        s["nullable"] = True
    if enum is not None:
        s["enum"] = list(enum) + ([None] if nullable else [])
    return s


def obj(properties, required=(), closed=True, nullable=False, desc=None, **extra):
    s = {"type": "object"}
    if desc:
        s["description"] = desc
    if nullable:
        s["nullable"] = True
    if closed:
        s["additionalProperties"] = False
    if required:
        s["required"] = list(required)
    s["properties"] = properties
    s.update(extra)
    return s


# ---------------------------------------------------------------- init (InitSpec)

WEIGHT_NAMES = ["pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                "normal", "uniform", "orthogonal", "zeros", "constant"]
BIAS_NAMES = ["pytorch_default", "zeros", "constant", "normal", "uniform"]
NONLINEARITIES = ["linear", "relu", "leaky_relu", "tanh", "sigmoid"]


def init_properties(recurrent=False):
    p = {
        "init": string(enum=WEIGHT_NAMES),
        "mean": num(),
        "std": nonneg(),
        "a": nonneg(),
        "gain": pos(),
        "value": num(),
        "mode": string(enum=["fan_in", "fan_out"]),
    }
    if not recurrent:
        p["nonlinearity"] = string(enum=NONLINEARITIES)
    p.update({
        "bias_init": string(enum=BIAS_NAMES),
        "bias_mean": num(),
        "bias_std": nonneg(),
        "bias_a": nonneg(),
        "bias_value": num(),
    })
    return p


def init_rules(bias=False, recurrent=False):
    """InitSpec.parameters(of:): the parameters each initialiser takes; the
    others may only be null, and `constant` needs its value. One branch per
    group of initialisers taking the same parameters (the first: those that
    take none, or `init` absent), so exactly one matches. A one-element list,
    for `allOf`."""
    key, p = ("bias_init", "bias_") if bias else ("init", "")
    params = ["mean", "std", "a", "value"] if bias else ["mean", "std", "a", "gain", "value", "mode", "nonlinearity"]
    if recurrent:
        params.remove("nonlinearity")   # the layer's own field (the cell's), not kaiming's
    groups = [(["normal"], ["mean", "std"]), (["uniform"], ["a"]), (["constant"], ["value"])]
    if not bias:
        groups[2:2] = [(["xavier_uniform", "xavier_normal", "orthogonal"], ["gain"]),
                       (["kaiming_uniform", "kaiming_normal"], ["mode"] if recurrent else ["mode", "nonlinearity"])]
    branches = [{"description": f"{key} absent, pytorch_default or zeros: no parameters",
                 "properties": {key: string(enum=["pytorch_default", "zeros"])} | {p + f: NULL for f in params}}]
    for takers, takes in groups:
        b = {"description": f"{' or '.join(takers)}: {', '.join(p + t for t in takes)}",
             "required": [key], "properties": {key: string(False, enum=takers)} | {p + f: NULL for f in params if f not in takes}}
        if takers == ["constant"]:
            b["required"] = [key, p + "value"]
            b["properties"][p + "value"] = num(False)
        branches.append(b)
    return [{"description": f"the parameters each {key} takes; the others may only be null", "oneOf": branches}]


# ---------------------------------------------------------------- layers (LayerSpec)

NAME_PATTERN = r"^[^.\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
LAYER_NAME = string(minLength=1, pattern=NAME_PATTERN,
                    desc="non-empty, without dots or whitespace; unique within its list")


def recurrent_properties(kind):
    p = {
        "hidden": whole(1, MAX_UNITS, False),
        "num_layers": whole(1, 16),
        "return_sequences": boolean(),
        "tbptt": whole(1, MAX_SEQ),
        "bias": boolean(),
        "recurrent_init": string(enum=["pytorch_default", "orthogonal", "identity", "normal"]),
        "recurrent_std": nonneg(),
        "recurrent_scale": num(True, 0, 100),
    }
    if kind == "rnn":
        p["nonlinearity"] = string(enum=["tanh", "relu"])
    if kind == "lstm":
        p["forget_bias"] = num(True, -100, 100)
    return p | init_properties(recurrent=True)


RECURRENT_INIT_CHOICE = {"description": "recurrent_std: only with recurrent_init normal", "oneOf": [
    {"required": ["recurrent_init"], "properties": {"recurrent_init": string(False, enum=["normal"])}},
    {"properties": {"recurrent_init": string(enum=["pytorch_default", "orthogonal", "identity"]), "recurrent_std": NULL}},
]}

FORGET_BIAS_CHOICE = {"description": "forget_bias: needs bias true", "oneOf": [
    {"properties": {"forget_bias": NULL}},
    {"required": ["forget_bias"],
     "properties": {"forget_bias": num(False, -100, 100), "bias": boolean(enum=[True])}},
]}

FLAT_KINDS = [k for k in LAYER_KINDS if k not in ("rnn", "lstm", "gru")]
LOOSE_LAYER = {
    "type": "object",
    "description": "a layer as in the outer lists (its fields are not spelled out at this depth)",
    "required": ["type"],
    "properties": {"type": string(False, enum=FLAT_KINDS)},
}


def branch(kind, props=None, required=(), all_of=None):
    """One layer type: its `type`, its name, its own fields."""
    p = {"type": string(False, enum=[kind]), "name": LAYER_NAME} | (props or {})
    b = obj(p, ["type"] + list(required))
    if all_of:
        b["allOf"] = all_of
    return b


def layer(depth, recurrent=True):
    # A residual block's input is flat, so a recurrent layer inside one is
    # always refused when the model is built: its list offers none.
    inner = layer(depth - 1, recurrent=False) if depth > 1 else LOOSE_LAYER
    residual = branch("residual", {"layers": {"type": "array", "minItems": 1, "items": inner}}, ["layers"])
    recurrent_branches = [
        branch("rnn", recurrent_properties("rnn"), ["hidden"], init_rules(recurrent=True) + [RECURRENT_INIT_CHOICE]),
        branch("lstm", recurrent_properties("lstm"), ["hidden"],
               init_rules(recurrent=True) + [RECURRENT_INIT_CHOICE, FORGET_BIAS_CHOICE]),
        branch("gru", recurrent_properties("gru"), ["hidden"], init_rules(recurrent=True) + [RECURRENT_INIT_CHOICE]),
    ] if recurrent else []
    # The layers without a list of their own are one component, referred to
    # at every depth.
    return {"type": "object", "description": "one layer: `type` decides its fields",
            "oneOf": [{"$ref": "#/components/schemas/Layer"}, residual] + recurrent_branches}


def flat_layer():
    """Every layer type but residual blocks and recurrent layers: the
    `Layer` component."""
    branches = [
        branch("dense", {"units": whole(1, MAX_UNITS, False), "bias": boolean()} | init_properties(),
               ["units"], init_rules()),
        branch("batchnorm", {"eps": pos(), "momentum": num(True, 0, 1)}),
        branch("layernorm", {"eps": pos()}),
        branch("dropout", {"p": num(True, 0, 1)}),
        branch("identity"),
        branch("relu"),
        branch("leaky_relu", {"slope": num()}),
        branch("elu", {"alpha": pos()}),
        branch("gelu"),
        branch("sigmoid"),
        branch("tanh"),
        branch("softplus", {"beta": pos(), "threshold": num()}),
    ]
    return {"type": "object", "description": "a layer without a list of layers of its own: `type` decides its fields",
            "oneOf": branches}


# ---------------------------------------------------------------- job spec

ACTIVATIONS = ["identity", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus"]

MLP = obj(
    {
        "depth": whole(1, 1000, False),
        "width": whole(1, MAX_UNITS, False),
        "activation": string(enum=ACTIVATIONS),
        "slope": num(),
        "batchnorm": boolean(),
        "layernorm": boolean(),
        "dropout": num(True, 0, 1, exmax=True),
        "residual": boolean(),
    } | init_properties(),
    ["depth", "width"],
    desc="the shorthand: depth hidden blocks of width units, then an output layer sized by the data",
    allOf=[
        {"description": "slope: only with activation leaky_relu", "oneOf": [
            {"required": ["activation"], "properties": {"activation": string(False, enum=["leaky_relu"])}},
            {"properties": {"activation": string(enum=[a for a in ACTIVATIONS if a != "leaky_relu"]), "slope": NULL}},
        ]},
    ] + init_rules(),
)

DATA_FIELDS = ["samples", "classes", "features", "noise", "factor", "std", "path", "target", "id", "sequence_length"]


def data_branch(source, takes, required=()):
    props = {"source": string(False, enum=[source]), "standardize": boolean()}
    props |= {f: takes[f] for f in DATA_FIELDS if f in takes}
    props |= {f: NULL for f in DATA_FIELDS if f not in takes}
    return obj(props, ["source"] + list(required))


SAMPLES = whole(4, 1_000_000)
DATA = {
    "type": "object",
    "description": "where the data comes from: `source` decides the fields (those of other sources may only be null). "
                   "Over HTTP `csv` (a server file) is refused: upload it to POST /api/datasets and use `dataset`.",
    "oneOf": [
        data_branch("spirals", {"samples": SAMPLES, "classes": whole(2, 1000), "noise": nonneg()}),
        data_branch("moons", {"samples": SAMPLES, "noise": nonneg()}),
        data_branch("circles", {"samples": SAMPLES, "noise": nonneg(), "factor": num(True, 0, 1, exmax=True)}),
        data_branch("blobs", {"samples": SAMPLES, "classes": whole(2, 1000), "features": whole(1, 10_000), "std": nonneg()}),
        data_branch("xor", {"samples": SAMPLES, "noise": nonneg()}),
        data_branch("sine", {"samples": SAMPLES, "noise": nonneg()}),
        data_branch("digits", {}),
        data_branch("dataset", {"id": string(False, desc="an uploaded dataset's id (POST /api/datasets)"),
                                "target": string(False, desc="the target column's name"),
                                "sequence_length": whole(1, MAX_SEQ)}, ["id", "target"]),
        data_branch("adding", {"samples": SAMPLES, "sequence_length": whole(10, MAX_SEQ)}),
        data_branch("temporal_order", {"samples": SAMPLES, "sequence_length": whole(10, MAX_SEQ)}),
        data_branch("memory", {"samples": SAMPLES, "sequence_length": whole(2, MAX_SEQ), "features": whole(3, 10_000)}),
        data_branch("digits_rows", {}),
    ],
}


def opt_branch(kind, props, required=(), **extra):
    return obj({"type": string(False, enum=[kind])} | props, ["type"] + list(required), **extra)


ADAM_PROPS = {
    "lr": pos(),
    "betas": {"type": "array", "nullable": True, "minItems": 2, "maxItems": 2,
              "items": num(False, 0, 1, exmax=True)},
    "eps": pos(),
    "weight_decay": nonneg(),
    "amsgrad": boolean(),
}
OPTIMIZER = {
    "type": "object",
    "description": "PyTorch's optimizers, names and defaults: `type` decides the fields",
    "oneOf": [
        opt_branch("sgd", {"lr": pos(False), "momentum": nonneg(), "dampening": num(True, 0, 1),
                           "nesterov": boolean(), "weight_decay": nonneg()}, ["lr"],
                   oneOf=[
                       {"properties": {"nesterov": boolean(enum=[False])}},
                       {"required": ["nesterov", "momentum"],
                        "properties": {"nesterov": boolean(False, enum=[True]), "momentum": pos(False),
                                       "dampening": num(True, 0, 0)}},
                   ]),
        opt_branch("adam", ADAM_PROPS),
        opt_branch("adamw", ADAM_PROPS),
        opt_branch("rmsprop", {"lr": pos(), "alpha": num(True, 0, 1), "eps": pos(), "weight_decay": nonneg(),
                               "momentum": nonneg(), "centered": boolean()}),
    ],
}

WARMUP = {"warmup_steps": whole(0, INT32_MAX), "warmup_start_factor": num(True, 0, 1, exmin=True)}
SCHEDULE = {
    "description": "the learning-rate schedule (default constant): `type` decides the fields",
    "oneOf": [
        obj({"type": string(enum=["constant"])} | WARMUP),
        obj({"type": string(False, enum=["step"]), "step_size": whole(1, INT32_MAX, False), "gamma": pos()} | WARMUP,
            ["type", "step_size"]),
        obj({"type": string(False, enum=["exponential"]), "gamma": pos(False)} | WARMUP, ["type", "gamma"]),
        obj({"type": string(False, enum=["cosine"]), "t_max": whole(1, INT32_MAX, False), "eta_min": nonneg()} | WARMUP,
            ["type", "t_max"]),
        NULL,
    ],
}

SKIP = {"skip_nonfinite": boolean()}
NORM_TYPE = {"description": "2 or \"inf\"", "oneOf": [{"type": "number", "enum": [2]}, string(False, enum=["inf"]), NULL]}
CLIP = {
    "description": "gradient clipping (default none): `type` decides the fields",
    "oneOf": [
        obj({"type": string(enum=["none"])} | SKIP),
        obj({"type": string(False, enum=["value"]), "clip_value": pos(False)} | SKIP, ["type", "clip_value"]),
        obj({"type": string(False, enum=["norm"]), "max_norm": pos(False), "norm_type": NORM_TYPE} | SKIP, ["type", "max_norm"]),
        obj({"type": string(False, enum=["layer_norm"]), "max_norm": pos(False), "norm_type": NORM_TYPE} | SKIP,
            ["type", "max_norm"]),
        obj({"type": string(False, enum=["agc"]), "clipping": pos(), "eps": pos(), "exclude_output": boolean()} | SKIP, ["type"]),
        obj({"type": string(False, enum=["autoclip"]), "percentile": num(True, 0, 100), "history": whole(1, 1_000_000)} | SKIP,
            ["type"]),
        obj({"type": string(False, enum=["zclip"]), "alpha": num(True, 0, 1, exmax=True), "z_threshold": pos(),
             "warmup": whole(1, 1_000_000), "clip_factor": pos(), "max_norm": pos(),
             "mode": string(enum=["reciprocal", "mean", "percentile"])} | SKIP, ["type"]),
        obj({"type": string(False, enum=["soft"]), "threshold": pos(False), "softness": pos()} | SKIP, ["type", "threshold"]),
        NULL,
    ],
}

TRAINING = obj(
    {
        "epochs": whole(1, 1_000_000),
        "steps": whole(1, MAX_STEPS),
        "batch_size": whole(1, 65_536),
        "shuffle": boolean(),
        "validation_split": num(True, 0, 1, exmax=True),
    },
    nullable=True,
    desc="epochs (10) or steps, not both; batch_size (32), shuffle (true), validation_split (0)",
    anyOf=[{"properties": {"epochs": NULL}}, {"properties": {"steps": NULL}}],
)

DIAGNOSTICS = obj(
    {
        "every": whole(1, MAX_STEPS),
        "bins": whole(1, 1024),
        "hist_min": pos(),
        "hist_max": num(True, 0, exmin=True, desc="greater than hist_min (default 1e-12)"),
    },
    nullable=True,
    desc="every (1), bins (64), hist_min (1e-12), hist_max (1e4)",
)

CHECKPOINT = {
    "type": "object",
    "description": "an inline checkpoint (docs/checkpoints.md) whose tensors fit the model",
    "required": ["format", "version", "tensors"],
    "properties": {
        "format": string(False, enum=["gradscope-checkpoint"]),
        "version": {"type": "integer", "enum": [1]},
        "step": {"type": "integer", "nullable": True},
        "tensors": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["shape", "data"],
                "properties": {
                    "shape": {"type": "array", "items": whole(0, MAX_WHOLE, False)},
                    "data": {"type": "array", "items": {"type": "number"}},
                },
            },
        },
    },
}
INIT_FROM = {
    "description": "starting weights; over HTTP an inline checkpoint or {\"job\": id} of a finished job, never a path",
    "anyOf": [
        CHECKPOINT,
        {"type": "object", "required": ["job"], "properties": {"job": string(False, desc="a finished job's id")}},
        NULL,
    ],
}

JOB_SPEC = {
    "type": "object",
    "description": "A job spec as POST /api/jobs reads it (docs/job-spec.md). Unknown fields, wrong types and "
                   "out-of-range values are refused; null is an absent field. Exactly one of mlp and layers. Checked "
                   "by the server only: the model must fit the data and the limits, unique layer names, "
                   "hist_max > hist_min, bias_* parameters vs bias_init, dataset and job ids.",
    "additionalProperties": False,
    "required": ["data", "optimizer"],
    "properties": {
        "name": string(),
        "seed": whole(0, MAX_WHOLE),
        "data": DATA,
        "mlp": MLP,
        "layers": {"type": "array", "minItems": 1, "items": layer(2), "description": "explicit layers, in order"},
        "loss": string(enum=["cross_entropy", "mse", "bce_with_logits"]),
        "optimizer": OPTIMIZER,
        "schedule": SCHEDULE,
        "clip": CLIP,
        "training": TRAINING,
        "diagnostics": DIAGNOSTICS,
        "init_from": INIT_FROM,
    },
    "oneOf": [{"required": ["mlp"]}, {"required": ["layers"]}],
    "example": {
        "name": "quick", "data": {"source": "moons", "samples": 400}, "mlp": {"depth": 3, "width": 16},
        "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"epochs": 5}, "diagnostics": {"every": 5},
    },
}

# ---------------------------------------------------------------- external run (ExternalRunSpec)

EXTERNAL_RUN = {
    "type": "object",
    "description": "An external run's declaration (POST /api/runs, docs/API.md): the layers with parameters in "
                   "model order, as every step record must name them. Checked by the server only: unique layer "
                   "names and module names of at most 200 bytes in UTF-8, hist_edges.max > min (default 1e-12).",
    "additionalProperties": False,
    "required": ["layers"],
    "properties": {
        "name": string(),
        "layers": {
            "type": "array", "minItems": 1, "maxItems": 10_000,
            "items": obj({
                "name": string(False, minLength=1, maxLength=200, desc="1 to 200 bytes of UTF-8, unique in the run"),
                "kind": string(enum=["other"] + LAYER_KINDS),
                "module": string(minLength=1, maxLength=200, desc="its PyTorch class (Conv2d): 1 to 200 bytes of UTF-8"),
                "params": {"type": "array", "nullable": True, "items": obj({
                    "name": string(False),
                    "shape": {"type": "array", "nullable": True, "items": whole(0, 999_999_999_999, False)},
                }, ["name"])},
            }, ["name"]),
        },
        "modules": {"type": "array", "nullable": True, "items": string(False, enum=LAYER_KINDS),
                    "description": "the parameter-free kinds the model uses (activations), for ranking remedies"},
        "clipping": boolean(),
        "total_steps": whole(0, MAX_STEPS),
        "baseline_loss": num(True, 0, exmin=True, desc="the best constant prediction's loss"),
        "hist_edges": obj({
            "bins": whole(1, 1024),
            "min": pos(),
            "max": num(True, 0, exmin=True, desc="greater than min (default 1e-12)"),
            "scale": string(enum=["log10"]),
        }, nullable=True, desc="bins (64), min (1e-12), max (1e4), scale log10"),
    },
    "example": {"name": "my run", "modules": ["relu"],
                "layers": [{"name": "fc1", "kind": "dense", "module": "Linear", "params": [{"name": "weight", "shape": [64, 2]}]},
                           {"name": "fc2", "kind": "dense"}]},
}

# ---------------------------------------------------------------- step record (ExternalRecord)

COUNT = whole(0, MAX_WHOLE)
STAT = nonneg()           # a statistic: >= 0, or null (NaN/Inf)
SUMMARY = {
    "grad_norm": STAT,
    "max_abs": STAT,
    "mean_abs": STAT,
    "zero_fraction": num(True, 0, 1),
    "nan": COUNT,
    "inf": COUNT,
    "weight_norm": STAT,
    "update_norm": STAT,
}
LAYER_RECORD = obj(
    {"name": string(False, minLength=1, desc="the declared layer's name (the run's layers, in order)"),
     "kind": string()}
    | SUMMARY
    | {
        "update_ratio": STAT,
        "params": {"type": "array", "nullable": True, "items": obj({"name": string(False)} | SUMMARY, ["name", "grad_norm"])},
        "hist": obj({
            "counts": {"type": "array", "minItems": 1, "maxItems": 1024, "items": whole(0, MAX_WHOLE, False),
                       "description": "as many as the run's hist_edges.bins"},
            "zero": COUNT, "underflow": COUNT, "overflow": COUNT, "nonfinite": COUNT,
        }, ["counts"], nullable=True),
    },
    ["name", "grad_norm"],
)
SIGNAL = obj({
    "name": string(False), "kind": string(),
    "output_rms": STAT, "output_mean": num(), "output_std": STAT, "delta_rms": STAT,
    "dead_fraction": STAT, "saturated_fraction": STAT,
    "output_nonfinite": COUNT, "delta_nonfinite": COUNT,
}, ["name"])
RECURRENT_RECORD = obj({
    "layer": string(False), "sublayer": COUNT, "spectral_norm": STAT,
    "hidden_grad_norms": {"type": "array", "nullable": True, "items": nonneg()},
}, ["layer"])

STEP_RECORD = {
    "type": "object",
    "description": "One record of a batch posted to POST /api/runs/{id}/steps (an NDJSON line or an array item): "
                   "a step record (docs/records.md) or where the first NaN/Inf appeared. Statistics are numbers >= 0 "
                   "(loss, output_mean: any) or null for NaN/Inf. Checked by the server only: layers name the run's "
                   "declared layers in order, hist.counts has the run's bins.",
    "oneOf": [
        obj({
            "type": string(enum=["step"]),
            "step": whole(1, MAX_STEPS, False),
            "epoch": whole(1, INT32_MAX),
            "loss": num(desc="absent: unknown; null: NaN"),
            "lr": STAT,
            "grad_norm": STAT,
            "grad_norm_clipped": STAT,
            "clip_coef": STAT,
            "skipped": boolean(),
            "nonfinite_grads": COUNT,
            "accuracy": num(False, 0, 1),
            "batch_size": COUNT,
            "layers": {"type": "array", "minItems": 1, "maxItems": 10_000, "items": LAYER_RECORD},
            "signals": {"type": "array", "nullable": True, "items": SIGNAL},
            "recurrent": {"type": "array", "nullable": True, "items": RECURRENT_RECORD},
        }, ["step", "layers"]),
        obj({
            "type": string(False, enum=["nonfinite"]),
            "step": whole(1, MAX_STEPS, False),
            "pass": string(False, enum=["forward", "loss", "backward"]),
            "layer": string(),
            "quantity": string(),
        }, ["type", "step", "pass"]),
    ],
    "example": {"step": 1, "loss": 0.5, "lr": 0.1,
                "layers": [{"name": "fc1", "grad_norm": 0.8, "params": [{"name": "weight", "grad_norm": 0.8}]},
                           {"name": "fc2", "grad_norm": 0.4}]},
}

# Only under oneOf: a $ref under allOf (the initialisers' rules, say) is
# more than schemathesis's generator can put in canonical form.
COMPONENTS = {"Layer": flat_layer()}
SCHEMAS = {"jobSpec": JOB_SPEC, "externalRun": EXTERNAL_RUN, "stepRecord": STEP_RECORD}


def dump(schema, width=120):
    """2-space indentation; an object or array that fits on its line stays on it."""
    def compact(v):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))

    def render(v, indent, prefix_len):
        one = compact(v)
        if not isinstance(v, (dict, list)) or indent + prefix_len + len(one) <= width or not v:
            return one
        pad = " " * (indent + 2)
        if isinstance(v, dict):
            items = [pad + json.dumps(k, ensure_ascii=False) + ": " + render(x, indent + 2, len(json.dumps(k, ensure_ascii=False)) + 3)
                     for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
        if all(not isinstance(x, (dict, list)) for x in v):  # scalars: filled line by line
            lines, line = [], pad
            for i, x in enumerate(v):
                word = compact(x) + ("," if i < len(v) - 1 else "")
                if line != pad and len(line) + 1 + len(word) > width:
                    lines.append(line)
                    line = pad
                line += ("" if line == pad else " ") + word
            lines.append(line)
            return "[\n" + "\n".join(lines) + "\n" + " " * indent + "]"
        items = [pad + render(x, indent + 2, 1) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"

    return render(schema, 0, 0)


HEADER = '''/// The three request bodies a client composes itself, as OpenAPI 3.0.3
/// Schema Objects (JSON text), for `/api/openapi.json`, written by
/// `scripts/request-schemas.py` (edit the schemas there and run it). Each follows the reader that checks its body, field
/// for field: the same fields, types and bounds (inclusive or exclusive as
/// the reader checks them, whole numbers where it wants them):
///
/// - `jobSpec`: `JobSpec.init(json:)` and what it calls (`DataSpec`,
///   `MLPSpec`, `LayerSpec`, `RecurrentSpec`, `InitSpec`, `OptimizerSpec`,
///   `ScheduleSpec`, `ClipSpec`, `ObjectReader`, `Check`), in the form
///   `Service.admit` takes over HTTP: `data.source` "csv" is refused and
///   `init_from` is an inline checkpoint or `{"job": id}`, never a path.
/// - `externalRun`: `ExternalRunSpec.init(json:)`.
/// - `stepRecord`: one record of a batch as `ExternalRecord.init(json:path:run:)`,
///   the checked path of `ExternalRecord.batch`, reads it.
///
/// As in the readers, null is an absent field: optional fields are
/// `nullable`, and where a reader lets a field that does not apply to the
/// current choice through as null (a data source's fields, an initialiser's
/// parameters) the schema has `{"type": "string", "nullable": true, "enum":
/// [null]}` for it: only null. Where the fields depend on a discriminator
/// (`data.source`, a layer's `type`, `optimizer.type`, `schedule.type`,
/// `clip.type`) a `oneOf` has one branch per value, with a one-value `enum`
/// and `additionalProperties: false`, so that exactly one branch matches;
/// `init` and a few two-field rules (nesterov, recurrent_std, forget_bias,
/// slope, epochs or steps) are stated as `oneOf`/`anyOf` of disjoint cases.
/// A residual block's `layers` offer no recurrent layer (its input is flat,
/// so building the model always refuses one), and layers nested three
/// blocks deep are only required to have a known `type` (the recursion
/// stops somewhere: schemathesis cannot generate from recursive schemas).
/// The layers without a list of their own are stated once, as the
/// component `Layer` in `components`, and referred to by `$ref` at every
/// depth.
///
/// Left permissive, for the server to refuse: what JSON Schema cannot state
/// (the model must fit its data and the server's limits, unique layer names,
/// hist_max above hist_min, a name's length in UTF-8 bytes, stored dataset
/// and job ids, a record's agreement with its run's declaration: layer names
/// and order, hist.counts per bin), and which `bias_*` parameters go with
/// `bias_init`: stating that too makes the job spec more than schemathesis's
/// generator can expand (its canonical form "outgrew intersections").
/// docs/job-spec.md and docs/API.md have these rules; keep both in step
/// with the readers.
enum RequestSchemas {
'''


def swift_literal(name, doc, schema):
    text = dump(schema)
    assert '"""#' not in text and '\\#' not in text
    body = "\n".join(("    " + line) if line else "" for line in text.split("\n"))
    return f"    /// {doc}\n    static let {name} = #\"\"\"\n{body}\n    \"\"\"#\n"


def main(out, check=False):
    parts = [HEADER]
    parts.append(swift_literal("jobSpec", "The job spec over HTTP (docs/job-spec.md).", JOB_SPEC))
    parts.append("\n")
    parts.append(swift_literal("externalRun", "An external run's declaration (docs/API.md, `POST /api/runs`).", EXTERNAL_RUN))
    parts.append("\n")
    parts.append(swift_literal("stepRecord",
                               "One record posted to `POST /api/runs/{id}/steps` (docs/records.md, docs/API.md).",
                               STEP_RECORD))
    parts.append("\n")
    parts.append(swift_literal("components", "What the schemas above refer to, by name: `#/components/schemas/<name>`.",
                               COMPONENTS))
    parts.append("}\n")
    text = "".join(parts)
    if check:
        with open(out) as f:
            if f.read() != text:
                sys.exit(f"{out} is out of date: run python3 scripts/request-schemas.py")
        return
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    target = str(pathlib.Path(__file__).resolve().parents[1] / "Sources/GradscopeService/RequestSchemas.swift")
    main(target, check="--check" in sys.argv[1:])
