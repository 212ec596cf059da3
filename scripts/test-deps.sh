#!/usr/bin/env bash
# Installs what the tests need beyond pip (Chromium, pdftoppm, fonts) and makes sure the
# local PostgreSQL answers on 127.0.0.1:5432. Idempotent: does nothing when all is in place.
set -euo pipefail

log() { printf 'test-deps: %s\n' "$*"; }

# Run as root directly, else through passwordless sudo when there is one.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

# --- Debian packages ----------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)

if [ "${#missing[@]}" -eq 0 ]; then
  log "chromium, pdftoppm and fonts-dejavu-core already installed"
else
  log "installing ${missing[*]}"
  if as_root apt-get update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    log "installed ${missing[*]}"
  else
    log "could not install ${missing[*]} (need root or passwordless sudo); tests using them will fail" >&2
  fi
fi

# --- PostgreSQL on 127.0.0.1:5432 ---------------------------------------------------------------
pg_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    python3 - <<'PY'
import socket
import sys

try:
    socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
except OSError:
    sys.exit(1)
PY
  fi
}

if pg_answers; then
  log "PostgreSQL answers on 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  log "starting PostgreSQL $version (cluster main)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_answers && break
    sleep 1
  done
  if pg_answers; then
    log "PostgreSQL answers on 127.0.0.1:5432"
  else
    log "PostgreSQL still does not answer on 127.0.0.1:5432; postgres tests will fail" >&2
  fi
else
  log "no PostgreSQL on 127.0.0.1:5432 and no pg_ctlcluster to start one; postgres tests will fail" >&2
fi
