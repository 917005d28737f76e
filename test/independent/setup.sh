#!/usr/bin/env bash
# Creates (once) the Python venv of the independent consumer and prints its python's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.cache/tools/consumer-venv
stamp="$venv/.requirements"
if ! cmp -s test/independent/requirements.txt "$stamp" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r test/independent/requirements.txt >&2
  cp test/independent/requirements.txt "$stamp"
fi
echo "$PWD/$venv/bin/python"
