#!/usr/bin/env bash
# Runs the five Tollgate services as separate processes on loopback ports
# (addresses in mesh.env), each with its own /metrics and /healthz on its
# admin port. Ctrl-C stops them all, router first.
#   deploy/local/run-mesh.sh [config.yaml]     (default: the embedded dev config)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/mesh.env"
bin=${TOLLGATE_BIN:-$repo/bin}
config=${1:-}
data=${TOLLGATE_DATA_DIR:-${TMPDIR:-/tmp}/tollgate-mesh}
[ -x "$bin/tollgate-router" ] || make -C "$repo" build
cfg=(); [ -n "$config" ] && cfg=(--config "$config")
pids=()
start() { "$@" & pids+=($!); }
stop() {
  for (( i=${#pids[@]}-1; i>=0; i-- )); do kill -TERM "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
}
trap stop EXIT INT TERM
start "$bin/tollgate-telemetry" --grpc-addr "$TELEMETRY_GRPC" --admin-addr "$TELEMETRY_ADMIN" --data-dir "$data" "${cfg[@]}"
start "$bin/tollgate-authz" --grpc-addr "$AUTHZ_GRPC" --admin-addr "$AUTHZ_ADMIN" "${cfg[@]}"
start "$bin/tollgate-quota" --grpc-addr "$QUOTA_GRPC" --admin-addr "$QUOTA_ADMIN" "${cfg[@]}"
start "$bin/tollgate-provider-adapter" --grpc-addr "$ADAPTER_GRPC" --admin-addr "$ADAPTER_ADMIN" "${cfg[@]}"
start "$bin/tollgate-router" --http-addr "$ROUTER_HTTP" --grpc-addr "$ROUTER_GRPC" --admin-addr "$ROUTER_ADMIN" \
  --authz-addr "$AUTHZ_GRPC" --quota-addr "$QUOTA_GRPC" --provider-adapter-addr "$ADAPTER_GRPC" \
  --telemetry-addr "$TELEMETRY_GRPC" "${cfg[@]}"
echo "Tollgate mesh: OpenAI-compatible API on http://$ROUTER_HTTP/v1 (Ctrl-C to stop)"
wait -n "${pids[@]}"
