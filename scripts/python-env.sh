#!/usr/bin/env bash
# Creates (once) the Python environment the tests and scripts use, target/pyenv with
# python/requirements.txt (numpy, safetensors), and prints its interpreter's path.
# Installs python3-venv with apt when the machine lacks it. Idempotent and quiet: the only
# thing on stdout is the path.
set -euo pipefail
cd "$(dirname "$0")/.."
env_dir=target/pyenv
stamp="$env_dir/.requirements"
if [ -x "$env_dir/bin/python" ] && cmp -s python/requirements.txt "$stamp"; then
  echo "$PWD/$env_dir/bin/python"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  echo "python-env: installing python3-venv (apt)" >&2
  apt-get install -y -q python3-venv >&2 || { apt-get update -q >&2 && apt-get install -y -q python3-venv >&2; }
fi
mkdir -p target
# Another process may be creating it at the same time (parallel tests): one at a time.
exec 9>target/pyenv.lock
flock 9
if ! { [ -x "$env_dir/bin/python" ] && cmp -s python/requirements.txt "$stamp"; }; then
  echo "python-env: creating $env_dir (pip install -r python/requirements.txt)" >&2
  rm -rf "$env_dir"
  python3 -m venv "$env_dir" >&2
  # No pip cache and pip's temporary files under target/: nothing outside the checkout grows.
  mkdir -p target/pyenv-tmp
  TMPDIR="$PWD/target/pyenv-tmp" "$env_dir/bin/pip" install -q --no-cache-dir \
    --disable-pip-version-check -r python/requirements.txt >&2
  rm -rf target/pyenv-tmp
  cp python/requirements.txt "$stamp"
fi
echo "$PWD/$env_dir/bin/python"
