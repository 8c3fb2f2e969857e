#!/bin/sh
# `make run`: start quire serve with its built-in defaults and make sure a
# demo account exists, printing its name and password. The password is made
# once, kept in quire-data/demo-password (mode 0600), and reused afterwards.
set -e
BIN=${1:-build/quire}
DATA=${QUIRE_DATA:-./quire-data}
mkdir -p "$DATA"
if ! "$BIN" user list -o "data_dir=$DATA" 2>/dev/null | grep -qx demo; then
    PASS=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-16)
    printf '%s\n' "$PASS" | "$BIN" user add demo --password-stdin -o "data_dir=$DATA"
    umask 077
    printf '%s\n' "$PASS" > "$DATA/demo-password"
fi
echo "quire: demo account: user demo, password $(cat "$DATA/demo-password")"
echo "quire: IMAP on 127.0.0.1:1143 (STARTTLS), IMAPS on 127.0.0.1:1993; Ctrl-C stops"
exec "$BIN" serve -o "data_dir=$DATA"
