#!/usr/bin/env bash
# scripts/system_deps.sh COMMAND... : make sure the system programs the tests start exist.
#   A missing one is installed with apt-get (Debian/Ubuntu, as root or with passwordless sudo);
#   where that is not possible, one line names every missing package and the script fails
#   before anything runs. The package of each command is its own name (redis-server, chromium).
set -euo pipefail
missing=()
for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || missing+=("$command")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    sudo=(none)
fi
if command -v apt-get >/dev/null 2>&1 && [ "${sudo[0]:-}" != none ]; then
    echo "installing ${missing[*]} (apt-get)"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
fi
echo "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]}, then re-run)" >&2
exit 1
