#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs the grader (the exact wheel that was tested) into a virtual environment and
# creates the unprivileged users that student code runs as.
# AUTOGRADER_ROOT (default /autograder) and AUTOGRADER_PYTHON (default python3) let the whole
# setup run outside Gradescope, for tests.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-python3}"
SOURCE="$ROOT/source"

if [ -z "${AUTOGRADER_ROOT:-}" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q python3 python3-venv python3-pip
fi

"$PY" -m venv --system-site-packages "$ROOT/venv"
if ! "$ROOT/venv/bin/pip" install --no-input -q -r "$SOURCE/requirements.txt"; then
  echo "setup.sh: the pinned requirements do not install on this image (another Python?);" >&2
  echo "setup.sh: installing the newest compatible versions instead" >&2
  "$ROOT/venv/bin/pip" install --no-input -q numpy click pyyaml jsonschema
fi
"$ROOT/venv/bin/pip" install --no-input -q --no-deps --force-reinstall "$SOURCE"/backprop_grader-*.whl

if [ "$(id -u)" = 0 ]; then
  # the unprivileged users student code runs as (one per concurrent grading)
  "$ROOT/venv/bin/python" -c "from grader.sandbox.accounts import create_worker_users; create_worker_users(2)"
fi
# validating also remembers the spec as valid, so no grading re-checks it against the schema
"$ROOT/venv/bin/grade" validate "$SOURCE"/*/assignment.yaml
