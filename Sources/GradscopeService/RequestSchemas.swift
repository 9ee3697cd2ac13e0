/// The three request bodies a client composes itself, as OpenAPI 3.0.3
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
    /// The job spec over HTTP (docs/job-spec.md).
    static let jobSpec = #"""
    {
      "type": "object",
      "description": "A job spec as POST /api/jobs reads it (docs/job-spec.md). Unknown fields, wrong types and out-of-range values are refused; null is an absent field. Exactly one of mlp and layers. Checked by the server only: the model must fit the data and the limits, unique layer names, hist_max > hist_min, bias_* parameters vs bias_init, dataset and job ids.",
      "additionalProperties": false,
      "required": ["data", "optimizer"],
      "properties": {
        "name": {"type": "string", "nullable": true},
        "seed": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
        "data": {
          "type": "object",
          "description": "where the data comes from: `source` decides the fields (those of other sources may only be null). Over HTTP `csv` (a server file) is refused: upload it to POST /api/datasets and use `dataset`.",
          "oneOf": [
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["spirals"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "classes": {"type": "integer", "nullable": true, "minimum": 2, "maximum": 1000},
                "noise": {"type": "number", "nullable": true, "minimum": 0},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["moons"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "noise": {"type": "number", "nullable": true, "minimum": 0},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["circles"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "noise": {"type": "number", "nullable": true, "minimum": 0},
                "factor": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1, "exclusiveMaximum": true},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["blobs"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "classes": {"type": "integer", "nullable": true, "minimum": 2, "maximum": 1000},
                "features": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 10000},
                "std": {"type": "number", "nullable": true, "minimum": 0},
                "noise": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["xor"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "noise": {"type": "number", "nullable": true, "minimum": 0},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["sine"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "noise": {"type": "number", "nullable": true, "minimum": 0},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["digits"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "string", "nullable": true, "enum": [null]},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "noise": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source", "id", "target"],
              "properties": {
                "source": {"type": "string", "enum": ["dataset"]},
                "standardize": {"type": "boolean", "nullable": true},
                "target": {"type": "string", "description": "the target column's name"},
                "id": {"type": "string", "description": "an uploaded dataset's id (POST /api/datasets)"},
                "sequence_length": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 10000},
                "samples": {"type": "string", "nullable": true, "enum": [null]},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "noise": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["adding"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "sequence_length": {"type": "integer", "nullable": true, "minimum": 10, "maximum": 10000},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "noise": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["temporal_order"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "sequence_length": {"type": "integer", "nullable": true, "minimum": 10, "maximum": 10000},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "noise": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["memory"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "integer", "nullable": true, "minimum": 4, "maximum": 1000000},
                "features": {"type": "integer", "nullable": true, "minimum": 3, "maximum": 10000},
                "sequence_length": {"type": "integer", "nullable": true, "minimum": 2, "maximum": 10000},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "noise": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["source"],
              "properties": {
                "source": {"type": "string", "enum": ["digits_rows"]},
                "standardize": {"type": "boolean", "nullable": true},
                "samples": {"type": "string", "nullable": true, "enum": [null]},
                "classes": {"type": "string", "nullable": true, "enum": [null]},
                "features": {"type": "string", "nullable": true, "enum": [null]},
                "noise": {"type": "string", "nullable": true, "enum": [null]},
                "factor": {"type": "string", "nullable": true, "enum": [null]},
                "std": {"type": "string", "nullable": true, "enum": [null]},
                "path": {"type": "string", "nullable": true, "enum": [null]},
                "target": {"type": "string", "nullable": true, "enum": [null]},
                "id": {"type": "string", "nullable": true, "enum": [null]},
                "sequence_length": {"type": "string", "nullable": true, "enum": [null]}
              }
            }
          ]
        },
        "mlp": {
          "type": "object",
          "description": "the shorthand: depth hidden blocks of width units, then an output layer sized by the data",
          "additionalProperties": false,
          "required": ["depth", "width"],
          "properties": {
            "depth": {"type": "integer", "minimum": 1, "maximum": 1000},
            "width": {"type": "integer", "minimum": 1, "maximum": 65536},
            "activation": {
              "type": "string",
              "nullable": true,
              "enum": ["identity", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus", null]
            },
            "slope": {"type": "number", "nullable": true},
            "batchnorm": {"type": "boolean", "nullable": true},
            "layernorm": {"type": "boolean", "nullable": true},
            "dropout": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1, "exclusiveMaximum": true},
            "residual": {"type": "boolean", "nullable": true},
            "init": {
              "type": "string",
              "nullable": true,
              "enum": [
                "pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal",
                "uniform", "orthogonal", "zeros", "constant", null
              ]
            },
            "mean": {"type": "number", "nullable": true},
            "std": {"type": "number", "nullable": true, "minimum": 0},
            "a": {"type": "number", "nullable": true, "minimum": 0},
            "gain": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
            "value": {"type": "number", "nullable": true},
            "mode": {"type": "string", "nullable": true, "enum": ["fan_in", "fan_out", null]},
            "nonlinearity": {
              "type": "string",
              "nullable": true,
              "enum": ["linear", "relu", "leaky_relu", "tanh", "sigmoid", null]
            },
            "bias_init": {
              "type": "string",
              "nullable": true,
              "enum": ["pytorch_default", "zeros", "constant", "normal", "uniform", null]
            },
            "bias_mean": {"type": "number", "nullable": true},
            "bias_std": {"type": "number", "nullable": true, "minimum": 0},
            "bias_a": {"type": "number", "nullable": true, "minimum": 0},
            "bias_value": {"type": "number", "nullable": true}
          },
          "allOf": [
            {
              "description": "slope: only with activation leaky_relu",
              "oneOf": [
                {"required": ["activation"], "properties": {"activation": {"type": "string", "enum": ["leaky_relu"]}}},
                {
                  "properties": {
                    "activation": {
                      "type": "string",
                      "nullable": true,
                      "enum": ["identity", "relu", "elu", "gelu", "sigmoid", "tanh", "softplus", null]
                    },
                    "slope": {"type": "string", "nullable": true, "enum": [null]}
                  }
                }
              ]
            },
            {
              "description": "the parameters each init takes; the others may only be null",
              "oneOf": [
                {
                  "description": "init absent, pytorch_default or zeros: no parameters",
                  "properties": {
                    "init": {"type": "string", "nullable": true, "enum": ["pytorch_default", "zeros", null]},
                    "mean": {"type": "string", "nullable": true, "enum": [null]},
                    "std": {"type": "string", "nullable": true, "enum": [null]},
                    "a": {"type": "string", "nullable": true, "enum": [null]},
                    "gain": {"type": "string", "nullable": true, "enum": [null]},
                    "value": {"type": "string", "nullable": true, "enum": [null]},
                    "mode": {"type": "string", "nullable": true, "enum": [null]},
                    "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                  }
                },
                {
                  "description": "normal: mean, std",
                  "required": ["init"],
                  "properties": {
                    "init": {"type": "string", "enum": ["normal"]},
                    "a": {"type": "string", "nullable": true, "enum": [null]},
                    "gain": {"type": "string", "nullable": true, "enum": [null]},
                    "value": {"type": "string", "nullable": true, "enum": [null]},
                    "mode": {"type": "string", "nullable": true, "enum": [null]},
                    "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                  }
                },
                {
                  "description": "uniform: a",
                  "required": ["init"],
                  "properties": {
                    "init": {"type": "string", "enum": ["uniform"]},
                    "mean": {"type": "string", "nullable": true, "enum": [null]},
                    "std": {"type": "string", "nullable": true, "enum": [null]},
                    "gain": {"type": "string", "nullable": true, "enum": [null]},
                    "value": {"type": "string", "nullable": true, "enum": [null]},
                    "mode": {"type": "string", "nullable": true, "enum": [null]},
                    "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                  }
                },
                {
                  "description": "xavier_uniform or xavier_normal or orthogonal: gain",
                  "required": ["init"],
                  "properties": {
                    "init": {"type": "string", "enum": ["xavier_uniform", "xavier_normal", "orthogonal"]},
                    "mean": {"type": "string", "nullable": true, "enum": [null]},
                    "std": {"type": "string", "nullable": true, "enum": [null]},
                    "a": {"type": "string", "nullable": true, "enum": [null]},
                    "value": {"type": "string", "nullable": true, "enum": [null]},
                    "mode": {"type": "string", "nullable": true, "enum": [null]},
                    "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                  }
                },
                {
                  "description": "kaiming_uniform or kaiming_normal: mode, nonlinearity",
                  "required": ["init"],
                  "properties": {
                    "init": {"type": "string", "enum": ["kaiming_uniform", "kaiming_normal"]},
                    "mean": {"type": "string", "nullable": true, "enum": [null]},
                    "std": {"type": "string", "nullable": true, "enum": [null]},
                    "a": {"type": "string", "nullable": true, "enum": [null]},
                    "gain": {"type": "string", "nullable": true, "enum": [null]},
                    "value": {"type": "string", "nullable": true, "enum": [null]}
                  }
                },
                {
                  "description": "constant: value",
                  "required": ["init", "value"],
                  "properties": {
                    "init": {"type": "string", "enum": ["constant"]},
                    "mean": {"type": "string", "nullable": true, "enum": [null]},
                    "std": {"type": "string", "nullable": true, "enum": [null]},
                    "a": {"type": "string", "nullable": true, "enum": [null]},
                    "gain": {"type": "string", "nullable": true, "enum": [null]},
                    "mode": {"type": "string", "nullable": true, "enum": [null]},
                    "nonlinearity": {"type": "string", "nullable": true, "enum": [null]},
                    "value": {"type": "number"}
                  }
                }
              ]
            }
          ]
        },
        "layers": {
          "type": "array",
          "minItems": 1,
          "items": {
            "type": "object",
            "description": "one layer: `type` decides its fields",
            "oneOf": [
              {"$ref": "#/components/schemas/Layer"},
              {
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "layers"],
                "properties": {
                  "type": {"type": "string", "enum": ["residual"]},
                  "name": {
                    "type": "string",
                    "nullable": true,
                    "minLength": 1,
                    "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                    "description": "non-empty, without dots or whitespace; unique within its list"
                  },
                  "layers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                      "type": "object",
                      "description": "one layer: `type` decides its fields",
                      "oneOf": [
                        {"$ref": "#/components/schemas/Layer"},
                        {
                          "type": "object",
                          "additionalProperties": false,
                          "required": ["type", "layers"],
                          "properties": {
                            "type": {"type": "string", "enum": ["residual"]},
                            "name": {
                              "type": "string",
                              "nullable": true,
                              "minLength": 1,
                              "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                              "description": "non-empty, without dots or whitespace; unique within its list"
                            },
                            "layers": {
                              "type": "array",
                              "minItems": 1,
                              "items": {
                                "type": "object",
                                "description": "a layer as in the outer lists (its fields are not spelled out at this depth)",
                                "required": ["type"],
                                "properties": {
                                  "type": {
                                    "type": "string",
                                    "enum": [
                                      "dense", "batchnorm", "layernorm", "dropout", "residual", "identity", "relu",
                                      "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus"
                                    ]
                                  }
                                }
                              }
                            }
                          }
                        }
                      ]
                    }
                  }
                }
              },
              {
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "hidden"],
                "properties": {
                  "type": {"type": "string", "enum": ["rnn"]},
                  "name": {
                    "type": "string",
                    "nullable": true,
                    "minLength": 1,
                    "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                    "description": "non-empty, without dots or whitespace; unique within its list"
                  },
                  "hidden": {"type": "integer", "minimum": 1, "maximum": 65536},
                  "num_layers": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 16},
                  "return_sequences": {"type": "boolean", "nullable": true},
                  "tbptt": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 10000},
                  "bias": {"type": "boolean", "nullable": true},
                  "recurrent_init": {
                    "type": "string",
                    "nullable": true,
                    "enum": ["pytorch_default", "orthogonal", "identity", "normal", null]
                  },
                  "recurrent_std": {"type": "number", "nullable": true, "minimum": 0},
                  "recurrent_scale": {"type": "number", "nullable": true, "minimum": 0, "maximum": 100},
                  "nonlinearity": {"type": "string", "nullable": true, "enum": ["tanh", "relu", null]},
                  "init": {
                    "type": "string",
                    "nullable": true,
                    "enum": [
                      "pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal",
                      "uniform", "orthogonal", "zeros", "constant", null
                    ]
                  },
                  "mean": {"type": "number", "nullable": true},
                  "std": {"type": "number", "nullable": true, "minimum": 0},
                  "a": {"type": "number", "nullable": true, "minimum": 0},
                  "gain": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                  "value": {"type": "number", "nullable": true},
                  "mode": {"type": "string", "nullable": true, "enum": ["fan_in", "fan_out", null]},
                  "bias_init": {
                    "type": "string",
                    "nullable": true,
                    "enum": ["pytorch_default", "zeros", "constant", "normal", "uniform", null]
                  },
                  "bias_mean": {"type": "number", "nullable": true},
                  "bias_std": {"type": "number", "nullable": true, "minimum": 0},
                  "bias_a": {"type": "number", "nullable": true, "minimum": 0},
                  "bias_value": {"type": "number", "nullable": true}
                },
                "allOf": [
                  {
                    "description": "the parameters each init takes; the others may only be null",
                    "oneOf": [
                      {
                        "description": "init absent, pytorch_default or zeros: no parameters",
                        "properties": {
                          "init": {"type": "string", "nullable": true, "enum": ["pytorch_default", "zeros", null]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "normal: mean, std",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["normal"]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "uniform: a",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["uniform"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "xavier_uniform or xavier_normal or orthogonal: gain",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["xavier_uniform", "xavier_normal", "orthogonal"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "kaiming_uniform or kaiming_normal: mode",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["kaiming_uniform", "kaiming_normal"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "constant: value",
                        "required": ["init", "value"],
                        "properties": {
                          "init": {"type": "string", "enum": ["constant"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "number"}
                        }
                      }
                    ]
                  },
                  {
                    "description": "recurrent_std: only with recurrent_init normal",
                    "oneOf": [
                      {
                        "required": ["recurrent_init"],
                        "properties": {"recurrent_init": {"type": "string", "enum": ["normal"]}}
                      },
                      {
                        "properties": {
                          "recurrent_init": {
                            "type": "string",
                            "nullable": true,
                            "enum": ["pytorch_default", "orthogonal", "identity", null]
                          },
                          "recurrent_std": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      }
                    ]
                  }
                ]
              },
              {
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "hidden"],
                "properties": {
                  "type": {"type": "string", "enum": ["lstm"]},
                  "name": {
                    "type": "string",
                    "nullable": true,
                    "minLength": 1,
                    "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                    "description": "non-empty, without dots or whitespace; unique within its list"
                  },
                  "hidden": {"type": "integer", "minimum": 1, "maximum": 65536},
                  "num_layers": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 16},
                  "return_sequences": {"type": "boolean", "nullable": true},
                  "tbptt": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 10000},
                  "bias": {"type": "boolean", "nullable": true},
                  "recurrent_init": {
                    "type": "string",
                    "nullable": true,
                    "enum": ["pytorch_default", "orthogonal", "identity", "normal", null]
                  },
                  "recurrent_std": {"type": "number", "nullable": true, "minimum": 0},
                  "recurrent_scale": {"type": "number", "nullable": true, "minimum": 0, "maximum": 100},
                  "forget_bias": {"type": "number", "nullable": true, "minimum": -100, "maximum": 100},
                  "init": {
                    "type": "string",
                    "nullable": true,
                    "enum": [
                      "pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal",
                      "uniform", "orthogonal", "zeros", "constant", null
                    ]
                  },
                  "mean": {"type": "number", "nullable": true},
                  "std": {"type": "number", "nullable": true, "minimum": 0},
                  "a": {"type": "number", "nullable": true, "minimum": 0},
                  "gain": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                  "value": {"type": "number", "nullable": true},
                  "mode": {"type": "string", "nullable": true, "enum": ["fan_in", "fan_out", null]},
                  "bias_init": {
                    "type": "string",
                    "nullable": true,
                    "enum": ["pytorch_default", "zeros", "constant", "normal", "uniform", null]
                  },
                  "bias_mean": {"type": "number", "nullable": true},
                  "bias_std": {"type": "number", "nullable": true, "minimum": 0},
                  "bias_a": {"type": "number", "nullable": true, "minimum": 0},
                  "bias_value": {"type": "number", "nullable": true}
                },
                "allOf": [
                  {
                    "description": "the parameters each init takes; the others may only be null",
                    "oneOf": [
                      {
                        "description": "init absent, pytorch_default or zeros: no parameters",
                        "properties": {
                          "init": {"type": "string", "nullable": true, "enum": ["pytorch_default", "zeros", null]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "normal: mean, std",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["normal"]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "uniform: a",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["uniform"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "xavier_uniform or xavier_normal or orthogonal: gain",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["xavier_uniform", "xavier_normal", "orthogonal"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "kaiming_uniform or kaiming_normal: mode",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["kaiming_uniform", "kaiming_normal"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "constant: value",
                        "required": ["init", "value"],
                        "properties": {
                          "init": {"type": "string", "enum": ["constant"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "number"}
                        }
                      }
                    ]
                  },
                  {
                    "description": "recurrent_std: only with recurrent_init normal",
                    "oneOf": [
                      {
                        "required": ["recurrent_init"],
                        "properties": {"recurrent_init": {"type": "string", "enum": ["normal"]}}
                      },
                      {
                        "properties": {
                          "recurrent_init": {
                            "type": "string",
                            "nullable": true,
                            "enum": ["pytorch_default", "orthogonal", "identity", null]
                          },
                          "recurrent_std": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      }
                    ]
                  },
                  {
                    "description": "forget_bias: needs bias true",
                    "oneOf": [
                      {"properties": {"forget_bias": {"type": "string", "nullable": true, "enum": [null]}}},
                      {
                        "required": ["forget_bias"],
                        "properties": {
                          "forget_bias": {"type": "number", "minimum": -100, "maximum": 100},
                          "bias": {"type": "boolean", "nullable": true, "enum": [true, null]}
                        }
                      }
                    ]
                  }
                ]
              },
              {
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "hidden"],
                "properties": {
                  "type": {"type": "string", "enum": ["gru"]},
                  "name": {
                    "type": "string",
                    "nullable": true,
                    "minLength": 1,
                    "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                    "description": "non-empty, without dots or whitespace; unique within its list"
                  },
                  "hidden": {"type": "integer", "minimum": 1, "maximum": 65536},
                  "num_layers": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 16},
                  "return_sequences": {"type": "boolean", "nullable": true},
                  "tbptt": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 10000},
                  "bias": {"type": "boolean", "nullable": true},
                  "recurrent_init": {
                    "type": "string",
                    "nullable": true,
                    "enum": ["pytorch_default", "orthogonal", "identity", "normal", null]
                  },
                  "recurrent_std": {"type": "number", "nullable": true, "minimum": 0},
                  "recurrent_scale": {"type": "number", "nullable": true, "minimum": 0, "maximum": 100},
                  "init": {
                    "type": "string",
                    "nullable": true,
                    "enum": [
                      "pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal",
                      "uniform", "orthogonal", "zeros", "constant", null
                    ]
                  },
                  "mean": {"type": "number", "nullable": true},
                  "std": {"type": "number", "nullable": true, "minimum": 0},
                  "a": {"type": "number", "nullable": true, "minimum": 0},
                  "gain": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                  "value": {"type": "number", "nullable": true},
                  "mode": {"type": "string", "nullable": true, "enum": ["fan_in", "fan_out", null]},
                  "bias_init": {
                    "type": "string",
                    "nullable": true,
                    "enum": ["pytorch_default", "zeros", "constant", "normal", "uniform", null]
                  },
                  "bias_mean": {"type": "number", "nullable": true},
                  "bias_std": {"type": "number", "nullable": true, "minimum": 0},
                  "bias_a": {"type": "number", "nullable": true, "minimum": 0},
                  "bias_value": {"type": "number", "nullable": true}
                },
                "allOf": [
                  {
                    "description": "the parameters each init takes; the others may only be null",
                    "oneOf": [
                      {
                        "description": "init absent, pytorch_default or zeros: no parameters",
                        "properties": {
                          "init": {"type": "string", "nullable": true, "enum": ["pytorch_default", "zeros", null]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "normal: mean, std",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["normal"]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "uniform: a",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["uniform"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "xavier_uniform or xavier_normal or orthogonal: gain",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["xavier_uniform", "xavier_normal", "orthogonal"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "kaiming_uniform or kaiming_normal: mode",
                        "required": ["init"],
                        "properties": {
                          "init": {"type": "string", "enum": ["kaiming_uniform", "kaiming_normal"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      },
                      {
                        "description": "constant: value",
                        "required": ["init", "value"],
                        "properties": {
                          "init": {"type": "string", "enum": ["constant"]},
                          "mean": {"type": "string", "nullable": true, "enum": [null]},
                          "std": {"type": "string", "nullable": true, "enum": [null]},
                          "a": {"type": "string", "nullable": true, "enum": [null]},
                          "gain": {"type": "string", "nullable": true, "enum": [null]},
                          "mode": {"type": "string", "nullable": true, "enum": [null]},
                          "value": {"type": "number"}
                        }
                      }
                    ]
                  },
                  {
                    "description": "recurrent_std: only with recurrent_init normal",
                    "oneOf": [
                      {
                        "required": ["recurrent_init"],
                        "properties": {"recurrent_init": {"type": "string", "enum": ["normal"]}}
                      },
                      {
                        "properties": {
                          "recurrent_init": {
                            "type": "string",
                            "nullable": true,
                            "enum": ["pytorch_default", "orthogonal", "identity", null]
                          },
                          "recurrent_std": {"type": "string", "nullable": true, "enum": [null]}
                        }
                      }
                    ]
                  }
                ]
              }
            ]
          },
          "description": "explicit layers, in order"
        },
        "loss": {"type": "string", "nullable": true, "enum": ["cross_entropy", "mse", "bce_with_logits", null]},
        "optimizer": {
          "type": "object",
          "description": "PyTorch's optimizers, names and defaults: `type` decides the fields",
          "oneOf": [
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "lr"],
              "properties": {
                "type": {"type": "string", "enum": ["sgd"]},
                "lr": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                "momentum": {"type": "number", "nullable": true, "minimum": 0},
                "dampening": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1},
                "nesterov": {"type": "boolean", "nullable": true},
                "weight_decay": {"type": "number", "nullable": true, "minimum": 0}
              },
              "oneOf": [
                {"properties": {"nesterov": {"type": "boolean", "nullable": true, "enum": [false, null]}}},
                {
                  "required": ["nesterov", "momentum"],
                  "properties": {
                    "nesterov": {"type": "boolean", "enum": [true]},
                    "momentum": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                    "dampening": {"type": "number", "nullable": true, "minimum": 0, "maximum": 0}
                  }
                }
              ]
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type"],
              "properties": {
                "type": {"type": "string", "enum": ["adam"]},
                "lr": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "betas": {
                  "type": "array",
                  "nullable": true,
                  "minItems": 2,
                  "maxItems": 2,
                  "items": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": true}
                },
                "eps": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "weight_decay": {"type": "number", "nullable": true, "minimum": 0},
                "amsgrad": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type"],
              "properties": {
                "type": {"type": "string", "enum": ["adamw"]},
                "lr": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "betas": {
                  "type": "array",
                  "nullable": true,
                  "minItems": 2,
                  "maxItems": 2,
                  "items": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": true}
                },
                "eps": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "weight_decay": {"type": "number", "nullable": true, "minimum": 0},
                "amsgrad": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type"],
              "properties": {
                "type": {"type": "string", "enum": ["rmsprop"]},
                "lr": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "alpha": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1},
                "eps": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "weight_decay": {"type": "number", "nullable": true, "minimum": 0},
                "momentum": {"type": "number", "nullable": true, "minimum": 0},
                "centered": {"type": "boolean", "nullable": true}
              }
            }
          ]
        },
        "schedule": {
          "description": "the learning-rate schedule (default constant): `type` decides the fields",
          "oneOf": [
            {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "type": {"type": "string", "nullable": true, "enum": ["constant", null]},
                "warmup_steps": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 2147483647},
                "warmup_start_factor": {
                  "type": "number",
                  "nullable": true,
                  "minimum": 0,
                  "exclusiveMinimum": true,
                  "maximum": 1
                }
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "step_size"],
              "properties": {
                "type": {"type": "string", "enum": ["step"]},
                "step_size": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                "gamma": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "warmup_steps": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 2147483647},
                "warmup_start_factor": {
                  "type": "number",
                  "nullable": true,
                  "minimum": 0,
                  "exclusiveMinimum": true,
                  "maximum": 1
                }
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "gamma"],
              "properties": {
                "type": {"type": "string", "enum": ["exponential"]},
                "gamma": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                "warmup_steps": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 2147483647},
                "warmup_start_factor": {
                  "type": "number",
                  "nullable": true,
                  "minimum": 0,
                  "exclusiveMinimum": true,
                  "maximum": 1
                }
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "t_max"],
              "properties": {
                "type": {"type": "string", "enum": ["cosine"]},
                "t_max": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                "eta_min": {"type": "number", "nullable": true, "minimum": 0},
                "warmup_steps": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 2147483647},
                "warmup_start_factor": {
                  "type": "number",
                  "nullable": true,
                  "minimum": 0,
                  "exclusiveMinimum": true,
                  "maximum": 1
                }
              }
            },
            {"type": "string", "nullable": true, "enum": [null]}
          ]
        },
        "clip": {
          "description": "gradient clipping (default none): `type` decides the fields",
          "oneOf": [
            {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "type": {"type": "string", "nullable": true, "enum": ["none", null]},
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "clip_value"],
              "properties": {
                "type": {"type": "string", "enum": ["value"]},
                "clip_value": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "max_norm"],
              "properties": {
                "type": {"type": "string", "enum": ["norm"]},
                "max_norm": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                "norm_type": {
                  "description": "2 or \"inf\"",
                  "oneOf": [
                    {"type": "number", "enum": [2]},
                    {"type": "string", "enum": ["inf"]},
                    {"type": "string", "nullable": true, "enum": [null]}
                  ]
                },
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "max_norm"],
              "properties": {
                "type": {"type": "string", "enum": ["layer_norm"]},
                "max_norm": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                "norm_type": {
                  "description": "2 or \"inf\"",
                  "oneOf": [
                    {"type": "number", "enum": [2]},
                    {"type": "string", "enum": ["inf"]},
                    {"type": "string", "nullable": true, "enum": [null]}
                  ]
                },
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type"],
              "properties": {
                "type": {"type": "string", "enum": ["agc"]},
                "clipping": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "eps": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "exclude_output": {"type": "boolean", "nullable": true},
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type"],
              "properties": {
                "type": {"type": "string", "enum": ["autoclip"]},
                "percentile": {"type": "number", "nullable": true, "minimum": 0, "maximum": 100},
                "history": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 1000000},
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type"],
              "properties": {
                "type": {"type": "string", "enum": ["zclip"]},
                "alpha": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1, "exclusiveMaximum": true},
                "z_threshold": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "warmup": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 1000000},
                "clip_factor": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "max_norm": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "mode": {"type": "string", "nullable": true, "enum": ["reciprocal", "mean", "percentile", null]},
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": ["type", "threshold"],
              "properties": {
                "type": {"type": "string", "enum": ["soft"]},
                "threshold": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                "softness": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
                "skip_nonfinite": {"type": "boolean", "nullable": true}
              }
            },
            {"type": "string", "nullable": true, "enum": [null]}
          ]
        },
        "training": {
          "type": "object",
          "description": "epochs (10) or steps, not both; batch_size (32), shuffle (true), validation_split (0)",
          "nullable": true,
          "additionalProperties": false,
          "properties": {
            "epochs": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 1000000},
            "steps": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 10000000},
            "batch_size": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 65536},
            "shuffle": {"type": "boolean", "nullable": true},
            "validation_split": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1, "exclusiveMaximum": true}
          },
          "anyOf": [
            {"properties": {"epochs": {"type": "string", "nullable": true, "enum": [null]}}},
            {"properties": {"steps": {"type": "string", "nullable": true, "enum": [null]}}}
          ]
        },
        "diagnostics": {
          "type": "object",
          "description": "every (1), bins (64), hist_min (1e-12), hist_max (1e4)",
          "nullable": true,
          "additionalProperties": false,
          "properties": {
            "every": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 10000000},
            "bins": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 1024},
            "hist_min": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
            "hist_max": {
              "type": "number",
              "nullable": true,
              "minimum": 0,
              "exclusiveMinimum": true,
              "description": "greater than hist_min (default 1e-12)"
            }
          }
        },
        "init_from": {
          "description": "starting weights; over HTTP an inline checkpoint or {\"job\": id} of a finished job, never a path",
          "anyOf": [
            {
              "type": "object",
              "description": "an inline checkpoint (docs/checkpoints.md) whose tensors fit the model",
              "required": ["format", "version", "tensors"],
              "properties": {
                "format": {"type": "string", "enum": ["gradscope-checkpoint"]},
                "version": {"type": "integer", "enum": [1]},
                "step": {"type": "integer", "nullable": true},
                "tensors": {
                  "type": "object",
                  "additionalProperties": {
                    "type": "object",
                    "required": ["shape", "data"],
                    "properties": {
                      "shape": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 8999999999999999}},
                      "data": {"type": "array", "items": {"type": "number"}}
                    }
                  }
                }
              }
            },
            {
              "type": "object",
              "required": ["job"],
              "properties": {"job": {"type": "string", "description": "a finished job's id"}}
            },
            {"type": "string", "nullable": true, "enum": [null]}
          ]
        }
      },
      "oneOf": [{"required": ["mlp"]}, {"required": ["layers"]}],
      "example": {
        "name": "quick",
        "data": {"source": "moons", "samples": 400},
        "mlp": {"depth": 3, "width": 16},
        "optimizer": {"type": "sgd", "lr": 0.1},
        "training": {"epochs": 5},
        "diagnostics": {"every": 5}
      }
    }
    """#

    /// An external run's declaration (docs/API.md, `POST /api/runs`).
    static let externalRun = #"""
    {
      "type": "object",
      "description": "An external run's declaration (POST /api/runs, docs/API.md): the layers with parameters in model order, as every step record must name them. Checked by the server only: unique layer names and module names of at most 200 bytes in UTF-8, hist_edges.max > min (default 1e-12).",
      "additionalProperties": false,
      "required": ["layers"],
      "properties": {
        "name": {"type": "string", "nullable": true},
        "layers": {
          "type": "array",
          "minItems": 1,
          "maxItems": 10000,
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": {
              "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "1 to 200 bytes of UTF-8, unique in the run"
              },
              "kind": {
                "type": "string",
                "nullable": true,
                "enum": [
                  "other", "dense", "batchnorm", "layernorm", "dropout", "residual", "rnn", "lstm", "gru", "identity",
                  "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus", null
                ]
              },
              "module": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "maxLength": 200,
                "description": "its PyTorch class (Conv2d): 1 to 200 bytes of UTF-8"
              },
              "params": {
                "type": "array",
                "nullable": true,
                "items": {
                  "type": "object",
                  "additionalProperties": false,
                  "required": ["name"],
                  "properties": {
                    "name": {"type": "string"},
                    "shape": {
                      "type": "array",
                      "nullable": true,
                      "items": {"type": "integer", "minimum": 0, "maximum": 999999999999}
                    }
                  }
                }
              }
            }
          }
        },
        "modules": {
          "type": "array",
          "nullable": true,
          "items": {
            "type": "string",
            "enum": [
              "dense", "batchnorm", "layernorm", "dropout", "residual", "rnn", "lstm", "gru", "identity", "relu",
              "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus"
            ]
          },
          "description": "the parameter-free kinds the model uses (activations), for ranking remedies"
        },
        "clipping": {"type": "boolean", "nullable": true},
        "total_steps": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 10000000},
        "baseline_loss": {
          "type": "number",
          "nullable": true,
          "minimum": 0,
          "exclusiveMinimum": true,
          "description": "the best constant prediction's loss"
        },
        "hist_edges": {
          "type": "object",
          "description": "bins (64), min (1e-12), max (1e4), scale log10",
          "nullable": true,
          "additionalProperties": false,
          "properties": {
            "bins": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 1024},
            "min": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
            "max": {
              "type": "number",
              "nullable": true,
              "minimum": 0,
              "exclusiveMinimum": true,
              "description": "greater than min (default 1e-12)"
            },
            "scale": {"type": "string", "nullable": true, "enum": ["log10", null]}
          }
        }
      },
      "example": {
        "name": "my run",
        "modules": ["relu"],
        "layers": [
          {"name": "fc1", "kind": "dense", "module": "Linear", "params": [{"name": "weight", "shape": [64, 2]}]},
          {"name": "fc2", "kind": "dense"}
        ]
      }
    }
    """#

    /// One record posted to `POST /api/runs/{id}/steps` (docs/records.md, docs/API.md).
    static let stepRecord = #"""
    {
      "type": "object",
      "description": "One record of a batch posted to POST /api/runs/{id}/steps (an NDJSON line or an array item): a step record (docs/records.md) or where the first NaN/Inf appeared. Statistics are numbers >= 0 (loss, output_mean: any) or null for NaN/Inf. Checked by the server only: layers name the run's declared layers in order, hist.counts has the run's bins.",
      "oneOf": [
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["step", "layers"],
          "properties": {
            "type": {"type": "string", "nullable": true, "enum": ["step", null]},
            "step": {"type": "integer", "minimum": 1, "maximum": 10000000},
            "epoch": {"type": "integer", "nullable": true, "minimum": 1, "maximum": 2147483647},
            "loss": {"type": "number", "nullable": true, "description": "absent: unknown; null: NaN"},
            "lr": {"type": "number", "nullable": true, "minimum": 0},
            "grad_norm": {"type": "number", "nullable": true, "minimum": 0},
            "grad_norm_clipped": {"type": "number", "nullable": true, "minimum": 0},
            "clip_coef": {"type": "number", "nullable": true, "minimum": 0},
            "skipped": {"type": "boolean", "nullable": true},
            "nonfinite_grads": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
            "accuracy": {"type": "number", "minimum": 0, "maximum": 1},
            "batch_size": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
            "layers": {
              "type": "array",
              "minItems": 1,
              "maxItems": 10000,
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "grad_norm"],
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1,
                    "description": "the declared layer's name (the run's layers, in order)"
                  },
                  "kind": {"type": "string", "nullable": true},
                  "grad_norm": {"type": "number", "nullable": true, "minimum": 0},
                  "max_abs": {"type": "number", "nullable": true, "minimum": 0},
                  "mean_abs": {"type": "number", "nullable": true, "minimum": 0},
                  "zero_fraction": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1},
                  "nan": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                  "inf": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                  "weight_norm": {"type": "number", "nullable": true, "minimum": 0},
                  "update_norm": {"type": "number", "nullable": true, "minimum": 0},
                  "update_ratio": {"type": "number", "nullable": true, "minimum": 0},
                  "params": {
                    "type": "array",
                    "nullable": true,
                    "items": {
                      "type": "object",
                      "additionalProperties": false,
                      "required": ["name", "grad_norm"],
                      "properties": {
                        "name": {"type": "string"},
                        "grad_norm": {"type": "number", "nullable": true, "minimum": 0},
                        "max_abs": {"type": "number", "nullable": true, "minimum": 0},
                        "mean_abs": {"type": "number", "nullable": true, "minimum": 0},
                        "zero_fraction": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1},
                        "nan": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                        "inf": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                        "weight_norm": {"type": "number", "nullable": true, "minimum": 0},
                        "update_norm": {"type": "number", "nullable": true, "minimum": 0}
                      }
                    }
                  },
                  "hist": {
                    "type": "object",
                    "nullable": true,
                    "additionalProperties": false,
                    "required": ["counts"],
                    "properties": {
                      "counts": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 1024,
                        "items": {"type": "integer", "minimum": 0, "maximum": 8999999999999999},
                        "description": "as many as the run's hist_edges.bins"
                      },
                      "zero": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                      "underflow": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                      "overflow": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                      "nonfinite": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999}
                    }
                  }
                }
              }
            },
            "signals": {
              "type": "array",
              "nullable": true,
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {
                  "name": {"type": "string"},
                  "kind": {"type": "string", "nullable": true},
                  "output_rms": {"type": "number", "nullable": true, "minimum": 0},
                  "output_mean": {"type": "number", "nullable": true},
                  "output_std": {"type": "number", "nullable": true, "minimum": 0},
                  "delta_rms": {"type": "number", "nullable": true, "minimum": 0},
                  "dead_fraction": {"type": "number", "nullable": true, "minimum": 0},
                  "saturated_fraction": {"type": "number", "nullable": true, "minimum": 0},
                  "output_nonfinite": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                  "delta_nonfinite": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999}
                }
              }
            },
            "recurrent": {
              "type": "array",
              "nullable": true,
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["layer"],
                "properties": {
                  "layer": {"type": "string"},
                  "sublayer": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 8999999999999999},
                  "spectral_norm": {"type": "number", "nullable": true, "minimum": 0},
                  "hidden_grad_norms": {
                    "type": "array",
                    "nullable": true,
                    "items": {"type": "number", "nullable": true, "minimum": 0}
                  }
                }
              }
            }
          }
        },
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["type", "step", "pass"],
          "properties": {
            "type": {"type": "string", "enum": ["nonfinite"]},
            "step": {"type": "integer", "minimum": 1, "maximum": 10000000},
            "pass": {"type": "string", "enum": ["forward", "loss", "backward"]},
            "layer": {"type": "string", "nullable": true},
            "quantity": {"type": "string", "nullable": true}
          }
        }
      ],
      "example": {
        "step": 1,
        "loss": 0.5,
        "lr": 0.1,
        "layers": [
          {"name": "fc1", "grad_norm": 0.8, "params": [{"name": "weight", "grad_norm": 0.8}]},
          {"name": "fc2", "grad_norm": 0.4}
        ]
      }
    }
    """#

    /// What the schemas above refer to, by name: `#/components/schemas/<name>`.
    static let components = #"""
    {
      "Layer": {
        "type": "object",
        "description": "a layer without a list of layers of its own: `type` decides its fields",
        "oneOf": [
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type", "units"],
            "properties": {
              "type": {"type": "string", "enum": ["dense"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              },
              "units": {"type": "integer", "minimum": 1, "maximum": 65536},
              "bias": {"type": "boolean", "nullable": true},
              "init": {
                "type": "string",
                "nullable": true,
                "enum": [
                  "pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal",
                  "uniform", "orthogonal", "zeros", "constant", null
                ]
              },
              "mean": {"type": "number", "nullable": true},
              "std": {"type": "number", "nullable": true, "minimum": 0},
              "a": {"type": "number", "nullable": true, "minimum": 0},
              "gain": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
              "value": {"type": "number", "nullable": true},
              "mode": {"type": "string", "nullable": true, "enum": ["fan_in", "fan_out", null]},
              "nonlinearity": {
                "type": "string",
                "nullable": true,
                "enum": ["linear", "relu", "leaky_relu", "tanh", "sigmoid", null]
              },
              "bias_init": {
                "type": "string",
                "nullable": true,
                "enum": ["pytorch_default", "zeros", "constant", "normal", "uniform", null]
              },
              "bias_mean": {"type": "number", "nullable": true},
              "bias_std": {"type": "number", "nullable": true, "minimum": 0},
              "bias_a": {"type": "number", "nullable": true, "minimum": 0},
              "bias_value": {"type": "number", "nullable": true}
            },
            "allOf": [
              {
                "description": "the parameters each init takes; the others may only be null",
                "oneOf": [
                  {
                    "description": "init absent, pytorch_default or zeros: no parameters",
                    "properties": {
                      "init": {"type": "string", "nullable": true, "enum": ["pytorch_default", "zeros", null]},
                      "mean": {"type": "string", "nullable": true, "enum": [null]},
                      "std": {"type": "string", "nullable": true, "enum": [null]},
                      "a": {"type": "string", "nullable": true, "enum": [null]},
                      "gain": {"type": "string", "nullable": true, "enum": [null]},
                      "value": {"type": "string", "nullable": true, "enum": [null]},
                      "mode": {"type": "string", "nullable": true, "enum": [null]},
                      "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                    }
                  },
                  {
                    "description": "normal: mean, std",
                    "required": ["init"],
                    "properties": {
                      "init": {"type": "string", "enum": ["normal"]},
                      "a": {"type": "string", "nullable": true, "enum": [null]},
                      "gain": {"type": "string", "nullable": true, "enum": [null]},
                      "value": {"type": "string", "nullable": true, "enum": [null]},
                      "mode": {"type": "string", "nullable": true, "enum": [null]},
                      "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                    }
                  },
                  {
                    "description": "uniform: a",
                    "required": ["init"],
                    "properties": {
                      "init": {"type": "string", "enum": ["uniform"]},
                      "mean": {"type": "string", "nullable": true, "enum": [null]},
                      "std": {"type": "string", "nullable": true, "enum": [null]},
                      "gain": {"type": "string", "nullable": true, "enum": [null]},
                      "value": {"type": "string", "nullable": true, "enum": [null]},
                      "mode": {"type": "string", "nullable": true, "enum": [null]},
                      "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                    }
                  },
                  {
                    "description": "xavier_uniform or xavier_normal or orthogonal: gain",
                    "required": ["init"],
                    "properties": {
                      "init": {"type": "string", "enum": ["xavier_uniform", "xavier_normal", "orthogonal"]},
                      "mean": {"type": "string", "nullable": true, "enum": [null]},
                      "std": {"type": "string", "nullable": true, "enum": [null]},
                      "a": {"type": "string", "nullable": true, "enum": [null]},
                      "value": {"type": "string", "nullable": true, "enum": [null]},
                      "mode": {"type": "string", "nullable": true, "enum": [null]},
                      "nonlinearity": {"type": "string", "nullable": true, "enum": [null]}
                    }
                  },
                  {
                    "description": "kaiming_uniform or kaiming_normal: mode, nonlinearity",
                    "required": ["init"],
                    "properties": {
                      "init": {"type": "string", "enum": ["kaiming_uniform", "kaiming_normal"]},
                      "mean": {"type": "string", "nullable": true, "enum": [null]},
                      "std": {"type": "string", "nullable": true, "enum": [null]},
                      "a": {"type": "string", "nullable": true, "enum": [null]},
                      "gain": {"type": "string", "nullable": true, "enum": [null]},
                      "value": {"type": "string", "nullable": true, "enum": [null]}
                    }
                  },
                  {
                    "description": "constant: value",
                    "required": ["init", "value"],
                    "properties": {
                      "init": {"type": "string", "enum": ["constant"]},
                      "mean": {"type": "string", "nullable": true, "enum": [null]},
                      "std": {"type": "string", "nullable": true, "enum": [null]},
                      "a": {"type": "string", "nullable": true, "enum": [null]},
                      "gain": {"type": "string", "nullable": true, "enum": [null]},
                      "mode": {"type": "string", "nullable": true, "enum": [null]},
                      "nonlinearity": {"type": "string", "nullable": true, "enum": [null]},
                      "value": {"type": "number"}
                    }
                  }
                ]
              }
            ]
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["batchnorm"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              },
              "eps": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
              "momentum": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1}
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["layernorm"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              },
              "eps": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true}
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["dropout"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              },
              "p": {"type": "number", "nullable": true, "minimum": 0, "maximum": 1}
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["identity"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              }
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["relu"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              }
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["leaky_relu"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              },
              "slope": {"type": "number", "nullable": true}
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["elu"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              },
              "alpha": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true}
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["gelu"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              }
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["sigmoid"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              }
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["tanh"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              }
            }
          },
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["type"],
            "properties": {
              "type": {"type": "string", "enum": ["softplus"]},
              "name": {
                "type": "string",
                "nullable": true,
                "minLength": 1,
                "pattern": "^[^.\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$",
                "description": "non-empty, without dots or whitespace; unique within its list"
              },
              "beta": {"type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true},
              "threshold": {"type": "number", "nullable": true}
            }
          }
        ]
      }
    }
    """#
}
