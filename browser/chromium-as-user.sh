#!/bin/sh
# Chromium refuses to sandbox its renderers when it runs as root. Started by root (a developer's machine,
# CI), the pool launches it through this: a user namespace of its own where it is an ordinary user
# (mapped to the caller, so its files stay the caller's), from which Chromium builds its own sandbox
# (namespaces and seccomp-bpf) as it does for any user. A container that runs as a user needs none of this.
set -eu
: "${CHROMIUM_AS_USER_BINARY:?the pool sets CHROMIUM_AS_USER_BINARY to the Chromium to start}"
exec unshare --user --map-user=1000 --map-group=1000 -- "$CHROMIUM_AS_USER_BINARY" "$@"
