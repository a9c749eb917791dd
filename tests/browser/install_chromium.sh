#!/usr/bin/env bash
# Set-up for the browser tests (run by `make test`): Debian's Chromium, driven by Playwright for
# Python with executable_path, so Playwright never downloads a browser of its own.
# Installs it with apt-get where it is missing and this user may (root, or password-less sudo);
# otherwise says how, and the browser tests are skipped (they fail instead when CI=true).
set -u
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
echo "browser tests: $CHROMIUM is missing; installing Debian's chromium with apt-get ..."
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "browser tests: cannot install chromium without root. Run: sudo apt-get install chromium" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null \
  || echo "browser tests: apt-get could not install chromium; the browser tests will say so" >&2
exit 0
