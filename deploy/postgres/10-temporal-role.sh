#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory.
# Creates the login role Temporal's auto-setup uses; it creates its own databases
# (temporal, temporal_visibility) with CREATEDB, so it never owns ebr's record store.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
