#!/usr/bin/env bash
# Installs the Debian packages the tests (or, with `bench`, the benchmarks) drive as real peers
# (chromium: the web UI's browser tests and bench/ui),
# when they are missing. Runs before `npm test`; needs root for apt-get, otherwise only reports.
set -euo pipefail

# binary:package pairs
# etcd: the fault tests validate their checker against a real etcd cluster (test/cluster-faults).
needed=(nginx:nginx-light haproxy:haproxy dig:bind9-dnsutils prometheus:prometheus redis-server:redis-server chromium:chromium go:golang-go etcd:etcd-server)
if [ "${1:-}" = "bench" ]; then
  needed+=(etcdctl:etcd-client dnsperf:dnsperf dnsmasq:dnsmasq tcpdump:tcpdump)
fi

missing=()
for pair in "${needed[@]}"; do
  bin=${pair%%:*}
  pkg=${pair#*:}
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
    missing+=("$pkg")
  fi
done
# hashicorp/memberlist's Go sources: test/gossip/memberlist builds a real memberlist peer offline.
if [ ! -d /usr/share/gocode/src/github.com/hashicorp/memberlist ]; then
  missing+=(golang-github-hashicorp-memberlist-dev)
fi
# The Python Consul clients the compatibility tests drive (test/compat), under Debian's python3.
# python3-consul2 conflicts with python3-consul (both ship the module `consul`): it is unpacked
# beside it instead, and the tests put it first on PYTHONPATH.
if ! /usr/bin/python3 -c 'import consul' >/dev/null 2>&1; then
  missing+=(python3-consul)
fi
# Patroni and PostgreSQL: test/compat/patroni.test.ts runs a Patroni cluster through the agent.
if ! command -v patroni >/dev/null 2>&1; then
  missing+=(patroni)
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# The Go sources of hashicorp/serf: the gossip tests build the real serf agent from them.
if [ ! -d /usr/share/gocode/src/github.com/hashicorp/serf/cmd/serf ]; then
  missing+=(golang-github-hashicorp-serf-dev)
fi
consul2_dir=/usr/local/lib/consulate-peers/python3-consul2
consul2_missing=0
[ -f "$consul2_dir/usr/lib/python3/dist-packages/consul/__init__.py" ] || consul2_missing=1
[ ${#missing[@]} -eq 0 ] && [ "$consul2_missing" = 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  [ ${#missing[@]} -gt 0 ] &&
    echo "ensure-system-packages: missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) — tests that drive them will fail" >&2
  [ "$consul2_missing" = 1 ] &&
    echo "ensure-system-packages: python3-consul2 is not unpacked in $consul2_dir (apt-get download python3-consul2; dpkg -x python3-consul2_*.deb $consul2_dir) — its tests will fail" >&2
  exit 0
fi

[ ${#missing[@]} -gt 0 ] && echo "ensure-system-packages: installing ${missing[*]}" >&2
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
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$consul2_missing" = 1 ]; then
  echo "ensure-system-packages: unpacking python3-consul2 into $consul2_dir" >&2
  download=$(mktemp -d)
  (cd "$download" && apt-get download -qq -o APT::Sandbox::User=root python3-consul2 >/dev/null)
  mkdir -p "$consul2_dir"
  dpkg -x "$download"/python3-consul2_*.deb "$consul2_dir"
  rm -rf "$download"
fi
