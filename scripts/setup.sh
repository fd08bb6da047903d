#!/usr/bin/env bash
# Installs what the build and tests need and is not there yet. Safe to run again.
#   scripts/setup.sh          engine only (Rust toolchain, C compiler)
#   scripts/setup.sh desktop  also WebKitGTK, Xvfb, tauri-driver and the UI's npm packages
set -euo pipefail
cd "$(dirname "$0")/.."

# python3 and its venv module: the Sigma differential test installs pySigma into target/oracle-venv.
want=(build-essential pkg-config time python3 python3-venv)
if [[ "${1:-}" == "desktop" ]]; then
  want+=(file libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libxdo-dev libayatana-appindicator3-dev
         xvfb xauth webkit2gtk-driver imagemagick xdotool fonts-dejavu-core)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # Another apt run may empty the package cache under us; one retry covers it.
  for attempt in 1 2; do
    if DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"; then
      break
    fi
    [ "$attempt" -eq 2 ] && exit 1
  done
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust (https://rustup.rs) and run again" >&2
  exit 1
fi

if [[ "${1:-}" == "desktop" ]]; then
  if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    echo "setup: installing tauri-driver"
    cargo install tauri-driver --locked --version ^2
  fi
  if ! command -v npm >/dev/null; then
    echo "setup: npm not found; install Node.js 20+ and run again" >&2
    exit 1
  fi
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    echo "setup: installing the UI's npm packages"
    npm --prefix ui ci --no-audit --no-fund
  fi
fi
