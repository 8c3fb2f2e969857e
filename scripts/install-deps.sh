#!/bin/sh
# Installs the Debian packages Quire needs to build and test, when run as root
# on Debian; otherwise prints the exact apt-get line to run. Quiet when all
# are present, so `make test` can call it every time.
set -e
PKGS="gcc make pkg-config libssl-dev libsqlite3-dev zlib1g-dev libcrypt-dev \
libcmocka-dev python3-pytest python3-pytest-xdist openssl libpq-dev \
postgresql postgresql-client"

missing=""
for p in $PKGS; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "quire: missing packages:$missing (not a Debian system: install them by hand)" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "quire: missing Debian packages. Run as root:" >&2
    echo "    apt-get install -y$missing" >&2
    exit 1
fi
echo "quire: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $missing >&2 || {
    apt-get update >&2
    apt-get install -y --no-install-recommends $missing >&2
}
