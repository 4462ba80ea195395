#!/usr/bin/env bash
# Installs the Debian packages the tests (or, with `bench`, the benchmarks) drive as real peers,
# when they are missing. Runs before `npm test`; needs root for apt-get, otherwise only reports.
set -euo pipefail

# binary:package pairs
needed=(nginx:nginx-light haproxy:haproxy dig:bind9-dnsutils)
if [ "${1:-}" = "bench" ]; then
  needed+=(etcd:etcd-server dnsperf:dnsperf dnsmasq:dnsmasq)
fi

missing=()
for pair in "${needed[@]}"; do
  bin=${pair%%:*}
  pkg=${pair#*:}
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-packages: missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) — tests that drive them will fail" >&2
  exit 0
fi

echo "ensure-system-packages: installing ${missing[*]}" >&2
# Keep package scripts from starting system daemons (nginx on :80 and the like): tests run their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
