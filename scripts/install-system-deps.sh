#!/usr/bin/env bash
# System packages some tests need (Debian). Safe to re-run; does nothing when they are already there.
#  - chromium: the headless browser the viewer's end-to-end test (test/web) drives through playwright-core.
#  - python3-torch, python3-numpy: the PyTorch twin (python/) and its tests (test/pytwin: parity with the TS,
#    torchrun/DDP on CPU).
#  - python3-h5py: test/nir checks that written NIR files read in h5py as NIR's Python reader walks them.
set -euo pipefail

packages=(chromium python3-torch python3-numpy python3-h5py)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system deps: already installed (${packages[*]})"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system deps: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

echo "system deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
