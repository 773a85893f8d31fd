#!/usr/bin/env bash
# Builds the dependencies layer without Docker: the locked runtime requirements (uv.lock, no dev
# groups, no extras) as wheels for Lambda's platform (arm64, CPython 3.12), into DIR/python.
# LAYER_EXTRAS (comma-separated, e.g. "pydantic-ai,langgraph") adds those optional extras, for
# workflows written with a framework (agent_runtime/frameworks/); none by default.
# Usage: infra/build_layer.sh [DIR]   (UV and PIP may name the tools; the Makefile passes them.)
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv-tools/bin/uv}
PIP=${PIP:-$(dirname "$UV")/pip}
OUT=${1:-build/lambda/dependencies}

LAYER_EXTRAS=${LAYER_EXTRAS:-}
extras=()
IFS=',' read -ra names <<< "$LAYER_EXTRAS"
for name in "${names[@]}"; do
  [[ -n "$name" ]] && extras+=("--extra=$name")
done

digest=$( (cat uv.lock pyproject.toml infra/build_layer.sh; echo "extras:$LAYER_EXTRAS") | sha256sum | cut -d' ' -f1)
if [[ -f "$OUT/.digest" && "$(cat "$OUT/.digest")" == "$digest" ]]; then
  echo "dependencies layer up to date: $OUT"
  exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT/python"
"$UV" export --frozen --no-dev --no-hashes --no-emit-project --no-header ${extras[@]+"${extras[@]}"} \
  --format requirements-txt \
  --output-file "$OUT/requirements.txt" >/dev/null
# manylinux2014 (glibc 2.17) is what the issue pins; manylinux_2_28 is accepted too for wheels that
# dropped 2014 (Lambda's python3.12 runs on Amazon Linux 2023, glibc 2.34).
"$PIP" install --quiet --disable-pip-version-check --no-compile \
  --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \
  --implementation cp --python-version 3.12 --only-binary=:all: \
  --target "$OUT/python" --requirement "$OUT/requirements.txt"
find "$OUT/python" -name '__pycache__' -prune -exec rm -rf {} +
echo "$digest" > "$OUT/.digest"
echo "dependencies layer built: $OUT ($(du -sh "$OUT/python" | cut -f1) unzipped)"
