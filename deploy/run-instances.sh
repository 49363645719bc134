#!/usr/bin/env bash
# Runs N Switchboard instances on one Postgres and one Redis, on consecutive ports, for local
# multi-instance work without a process manager (deploy/Procfile is the same for foreman/honcho).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \
#   REDIS_URL=redis://127.0.0.1:6379 \
#   AUTH_SECRET=$(openssl rand -hex 32) \
#   deploy/run-instances.sh [N=3] [FIRST_PORT=4001]
#
# Every instance gets the same environment except PORT; each line of output is prefixed with the
# instance's port. Ctrl-C or SIGTERM stops them all gracefully (each closes its WebSockets with
# 1001 and finishes requests in flight); the script exits when they have. With NGINX=1 it also
# runs nginx with deploy/nginx.conf (http://localhost:8080/, instances on 4001-4003).
set -euo pipefail

count="${1:-3}"
first_port="${2:-4001}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "run-instances: $*" >&2; exit 1; }
[[ "$count" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$count'"
[[ "$first_port" =~ ^[1-9][0-9]*$ ]] || die "FIRST_PORT must be a number, got '$first_port'"
# Several instances must share the source of truth and the bus; the embedded Postgres and the
# in-process pub/sub are for one instance only.
[[ -n "${DATABASE_URL:-}" ]] || die "set DATABASE_URL: every instance must use the same Postgres"
[[ -n "${REDIS_URL:-}" ]] || die "set REDIS_URL: instances fan out and share presence through Redis"
if [[ -z "${AUTH_SECRET:-}" ]]; then
  # Each instance would otherwise sign tokens with its own random key and refuse the others'.
  AUTH_SECRET="$(node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('hex'))")"
  export AUTH_SECRET
  echo "run-instances: no AUTH_SECRET, using a random one shared by these $count instances (tokens die with them)" >&2
fi
export TRUST_PROXY="${TRUST_PROXY:-1}"   # behind nginx: the client IP is the first X-Forwarded-For hop

cd "$root"
[[ -f dist/src/main.js ]] || npm run build

pids=()
stopping=0
stop() {
  stopping=1
  trap - INT TERM
  echo "run-instances: stopping ${#pids[@]} processes" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap stop INT TERM

for ((i = 0; i < count; i++)); do
  port=$((first_port + i))
  # exec: the pid we keep is node's own, so SIGTERM reaches the server, not a subshell.
  (PORT="$port" exec node dist/src/main.js) > >(sed -u "s/^/[$port] /") 2>&1 &
  pids+=("$!")
done
if [[ "${NGINX:-0}" == 1 ]]; then
  (exec nginx -p "$root/deploy/" -c nginx.conf -g 'daemon off;') > >(sed -u 's/^/[nginx] /') 2>&1 &
  pids+=("$!")
fi

status=0
for pid in "${pids[@]}"; do
  while :; do
    rc=0
    wait "$pid" || rc=$?
    # A signal cuts wait short (rc > 128) while the process still runs: wait again.
    kill -0 "$pid" 2>/dev/null || break
  done
  if [[ "$rc" != 0 ]]; then
    status="$rc"
    # One exited by itself (a crash, a bad configuration): stop the others too.
    [[ "$stopping" == 1 ]] || stop
  fi
done
exit "$status"
