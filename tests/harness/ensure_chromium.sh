#!/usr/bin/env bash
# The report's end-to-end test renders it in Debian's chromium: install it from the OS packages when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "chromium is not installed and this is not root: apt-get install -y chromium, then retry" >&2
    exit 2
fi
echo "installing Debian's chromium for the report test (apt-get install -y chromium)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "chromium installed but not on PATH" >&2; exit 2; }
