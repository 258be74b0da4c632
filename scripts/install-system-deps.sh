#!/usr/bin/env bash
# System packages some tests need (Debian). Safe to re-run; does nothing when they are already there.
set -euo pipefail
exit 0
