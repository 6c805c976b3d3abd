#!/usr/bin/env bash
# Installs Sluice as a systemd service on Raspberry Pi OS / Debian (arm64, armhf, x64), or removes it.
# Idempotent: run it again to upgrade (the previous release is kept as /opt/sluice.prev) or to repair.
#
#   sudo systemd/install.sh               install or upgrade from this checkout (npm ci && npm run build first)
#   sudo systemd/install.sh --uninstall   stop and remove the service and the program; keep config and state
#   sudo systemd/install.sh --uninstall --purge   also remove /etc/sluice, /var/lib/sluice and the user
#   systemd/install.sh --root DIR         install into a scratch root (no service started; for tests/images)
set -euo pipefail

NODE_MIN=20.19
ROOT=/
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE=""
ACTION=install
PURGE=0
ENABLE=1

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
die() {
  echo "install.sh: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --source) SOURCE="${2:?--source needs a directory}"; shift 2 ;;
    --node) NODE="${2:?--node needs a path}"; shift 2 ;;
    --uninstall) ACTION=uninstall; shift ;;
    --purge) PURGE=1; shift ;;
    --no-enable) ENABLE=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done

ROOT="$(cd "$ROOT" && pwd)" || die "--root $ROOT: no such directory"
R="${ROOT%/}" # prefix for every path: "" on the real system
LIVE=0        # a running systemd to talk to: only on the real root
if [ -z "$R" ] && [ -d /run/systemd/system ]; then LIVE=1; fi
if [ -z "$R" ] && [ "$(id -u)" -ne 0 ]; then die "run it as root (sudo), or with --root DIR"; fi

APP="$R/opt/sluice"
UNIT="$R/etc/systemd/system/sluice.service"
SYSUSERS="$R/usr/lib/sysusers.d/sluice.conf"
ETC="$R/etc/sluice"

say() { echo "sluice: $*"; }

systemctl_() {
  if [ "$LIVE" -eq 1 ]; then
    systemctl "$@"
  elif command -v systemctl >/dev/null 2>&1; then
    # Offline: systemctl edits the symlinks under the root, starts nothing.
    systemctl --root="$ROOT" "$@" 2>/dev/null || true
  fi
}

uninstall() {
  if [ "$LIVE" -eq 1 ]; then
    systemctl disable --now sluice.service 2>/dev/null || true
  else
    systemctl_ disable sluice.service
  fi
  rm -f "$UNIT" "$SYSUSERS"
  rm -rf "$APP" "$APP.prev" "$APP.new"
  if [ "$LIVE" -eq 1 ]; then systemctl daemon-reload; fi
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$ETC" "$R/var/lib/sluice"
    if [ -z "$R" ] && getent passwd sluice >/dev/null; then userdel sluice 2>/dev/null || true; fi
    if [ -n "$R" ] && [ -f "$R/etc/passwd" ]; then
      sed -i '/^sluice:/d' "$R/etc/passwd" "$R/etc/shadow" "$R/etc/group" "$R/etc/gshadow" 2>/dev/null || true
      sed -i -E 's/^(dialout:[^:]*:[^:]*:.*)(,sluice|sluice,|sluice)$/\1/' "$R/etc/group" 2>/dev/null || true
    fi
    say "removed, with /etc/sluice, /var/lib/sluice and the user"
  else
    say "removed; kept /etc/sluice and /var/lib/sluice (--purge removes them)"
  fi
}

check_node() {
  [ -n "$NODE" ] || NODE="$(command -v node || true)"
  [ -n "$NODE" ] && [ -x "$NODE" ] ||
    die "node is missing: install Node.js >= $NODE_MIN (Debian/Raspberry Pi OS: https://deb.nodesource.com, or apt-get install nodejs from bookworm-backports)"
  local version
  version="$("$NODE" -p 'process.versions.node')" || die "$NODE does not run"
  if ! "$NODE" -e '
    const [a, b] = process.argv[1].split(".").map(Number);
    const [x, y] = process.argv[2].split(".").map(Number);
    process.exit(a > x || (a === x && b >= y) ? 0 : 1);' "$version" "$NODE_MIN"; then
    die "node $version is too old: Sluice needs Node.js >= $NODE_MIN"
  fi
  case "$(uname -m)" in
    aarch64 | armv7l | armv6l | x86_64) ;;
    *) say "warning: untested architecture $(uname -m)" ;;
  esac
  say "node $version at $NODE"
}

check_source() {
  [ -f "$SOURCE/package.json" ] || die "$SOURCE is not a Sluice checkout (no package.json)"
  [ -f "$SOURCE/dist/daemon/main.js" ] || die "$SOURCE/dist is missing: run npm ci && npm run build first"
  [ -d "$SOURCE/node_modules" ] || die "$SOURCE/node_modules is missing: run npm ci (npm ci --omit=dev for a smaller copy)"
}

install_user() {
  install -D -m 0644 "$SOURCE/systemd/sluice.sysusers" "$SYSUSERS"
  if command -v systemd-sysusers >/dev/null 2>&1; then
    if [ -z "$R" ]; then systemd-sysusers "$SYSUSERS"; else systemd-sysusers --root="$ROOT" "$SYSUSERS"; fi
  elif [ -z "$R" ]; then
    getent passwd sluice >/dev/null ||
      useradd --system --user-group --home-dir /var/lib/sluice --no-create-home --shell /usr/sbin/nologin sluice
    usermod -a -G dialout sluice
  else
    die "systemd-sysusers is needed to create the user under --root"
  fi
}

install_files() {
  # The program: a fresh copy swapped in, so a failed copy never leaves half a release.
  rm -rf "$APP.new"
  mkdir -p "$APP.new"
  local part
  for part in package.json package-lock.json dist node_modules daemon/api/dashboard examples systemd docs README.md LICENSE; do
    [ -e "$SOURCE/$part" ] || continue
    mkdir -p "$APP.new/$(dirname "$part")"
    cp -a "$SOURCE/$part" "$APP.new/$part"
  done
  if [ -d "$APP" ]; then
    rm -rf "$APP.prev"
    mv "$APP" "$APP.prev"
  fi
  mv "$APP.new" "$APP"
  chmod -R u+rwX,go+rX,go-w "$APP"

  # Config and credentials: created once, never overwritten.
  install -d -m 0750 "$ETC"
  install -d -m 0700 "$ETC/credentials"
  [ -e "$ETC/sluice.yaml" ] || install -m 0640 "$SOURCE/systemd/sluice.example.yaml" "$ETC/sluice.yaml"
  [ -e "$ETC/sluice.env" ] || install -m 0640 "$SOURCE/systemd/sluice.env.example" "$ETC/sluice.env"
  if [ ! -s "$ETC/credentials/api-token" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$ETC/credentials/api-token")
    say "API token generated in /etc/sluice/credentials/api-token (the dashboard asks for it)"
  fi
  if getent_root group sluice >/dev/null; then chgrp sluice "$ETC" "$ETC/sluice.yaml" "$ETC/sluice.env" 2>/dev/null || true; fi

  # The unit, with the node found here.
  install -d "$(dirname "$UNIT")"
  sed "s|^ExecStart=/usr/bin/node |ExecStart=$NODE |" "$SOURCE/systemd/sluice.service" >"$UNIT.tmp"
  chmod 0644 "$UNIT.tmp"
  mv "$UNIT.tmp" "$UNIT"
}

getent_root() {
  if [ -z "$R" ]; then getent "$@"; else grep -q "^$2:" "$R/etc/$1" 2>/dev/null; fi
}

install_() {
  check_node
  check_source
  install_user
  install_files
  if [ "$ENABLE" -eq 0 ]; then
    say "installed (not enabled)"
  elif [ "$LIVE" -eq 1 ]; then
    systemctl daemon-reload
    systemctl enable sluice.service >/dev/null
    # An upgrade restarts on the new release; state carries over (the WAL is replayed).
    systemctl restart sluice.service
    say "running: systemctl status sluice; journalctl -u sluice -f; dashboard on http://127.0.0.1:8080/"
  else
    systemctl_ enable sluice.service
    say "installed under $ROOT (enabled; nothing started)"
  fi
}

if [ "$ACTION" = uninstall ]; then uninstall; else install_; fi
