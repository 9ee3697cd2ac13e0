"""schemathesis hooks for scripts/check-api-schema.sh (SCHEMATHESIS_HOOKS).

The job spec and a run's declaration are described field for field by the
server's own document (Sources/GradscopeService/RequestSchemas.swift), but
some of their rules join two fields, a stored object or a server limit, and
JSON Schema cannot state those. So "every schema-valid body is accepted"
(schemathesis's positive_data_acceptance) is replaced, for these two
bodies, by the check below: a schema-valid body is accepted, or refused
for one of those rules and no other. A refusal for anything the schema
could have said (a field's type, range, name or presence) fails it: that
would be the document and the server disagreeing.
"""
import re

import schemathesis

# (field, message) patterns of the rules JSON Schema cannot state, as the
# readers word them (docs/job-spec.md and docs/API.md list the rules).
LAYER = r"layers(\[\d+\]\.layers)*\[\d+\]"
BETWEEN_FIELDS = {
    "/api/jobs": [
        (r"diagnostics\.hist_max", r"must be greater than diagnostics\.hist_min"),
        (rf"(mlp|{LAYER})\.bias_\w+", r"does not apply to bias_init|is required with bias_init"),
        (rf"{LAYER}\.name", r"is used twice"),
        (LAYER, r"needs sequence input|needs flat features"),
        (r"layers\[\d+\]\.layers\[\d+\]\.layers\[\d+\].*", r""),  # nested deeper than the schema spells out
        (r"layers", r"the last layer outputs"),
        (r"loss", r"needs class labels|needs a real-valued target|needs 2 classes"),
        (r"training\.batch_size", r"must be at least 2 with batchnorm"),
        (r"data", r"rows; at least 2 are needed"),
        (r"data\.(id|target|sequence_length)", r""),  # an uploaded dataset's id, columns and shape
        (r"init_from(\.job)?", r"finished job|does not fit the model|not a gradscope checkpoint"),
    ],
    "/api/runs": [
        (r"layers\[\d+\]\.name", r"is declared twice|1 to 200 bytes"),  # unique; bytes, where the schema counts characters
        (r"layers\[\d+\]\.module", r"1 to 200 bytes"),
        (r"hist_edges\.max", r"must be greater than min"),
    ],
}


@schemathesis.check
def valid_bodies_accepted_but_for_rules_between_fields(ctx, response, case):
    rules = BETWEEN_FIELDS.get(case.operation.path)
    meta = case.meta
    if case.method.upper() != "POST" or rules is None or meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code != 400:
        return None  # accepted, or refused for the request as a whole (401, 413, 429, …), which other checks judge
    error = response.json().get("error", {})
    if error.get("code") == "limit_exceeded":
        return None  # a server limit, narrower than what a spec may say
    field, message = error.get("field") or "", error.get("message") or ""
    if any(re.fullmatch(f, field) and re.search(m, message) for f, m in rules):
        return None
    raise AssertionError(f"A body valid by the document was refused for a rule the document could state: {field}: {message}")
