#!/usr/bin/env bash
# Three `tollgate serve` replicas over one PostgreSQL database, on loopback, behind no balancer:
# a client may send any request to any of them. Starts a throwaway PostgreSQL cluster (as the
# tests do), migrates it once, then starts the replicas on ports 8002, 8003 and 8004.
# Ctrl-C stops the replicas and the database.
#   examples/replicas/run.sh            (after `swift build`; uses .build/debug/tollgate)
set -euo pipefail
cd "$(dirname "$0")/../.."
tollgate=${TOLLGATE:-.build/debug/tollgate}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/postgres-cluster stop "$work/cluster"
  rm -rf "$work"
}
trap stop EXIT

TOLLGATE_DATABASE_URL=$(scripts/postgres-cluster start "$work/cluster")
export TOLLGATE_DATABASE_URL
# Every replica signs callback tokens with the same secret, so any of them accepts a callback.
TOLLGATE_CALLBACK_SECRET=${TOLLGATE_CALLBACK_SECRET:-$(head -c 32 /dev/urandom | base64)}
export TOLLGATE_CALLBACK_SECRET
"$tollgate" database migrate --postgres-env TOLLGATE_DATABASE_URL --schema tollgate

# The walk-through on local scripts (the replicas run in the repository's root).
mkdir -p "$work/descriptors"
cp examples/walkthrough/descriptor-local.json "$work/descriptors/"

for i in 0 1 2; do
  port=$((8002 + i))
  mkdir -p "$work/state-$i"
  cat >"$work/replica-$i.yaml" <<YAML
server: { host: 127.0.0.1, port: $port, replicaName: replica-$i, leaseSeconds: 30 }
database: { kind: postgres, url: { env: TOLLGATE_DATABASE_URL }, pool: 8, schema: tollgate }
policies: { directory: $PWD/policies }
registry: { kind: directory, path: $work/descriptors }
state: { directory: $work/state-$i }
executors:
  local: { kind: local }
YAML
  "$tollgate" serve --config "$work/replica-$i.yaml" >"$work/replica-$i.log" 2>&1 &
  pids+=($!)
  echo "replica-$i: http://127.0.0.1:$port (log: $work/replica-$i.log)"
done
echo "database: $TOLLGATE_DATABASE_URL (schema tollgate)"
echo "Try: curl -X POST 'http://127.0.0.1:8003/api/v1/pp/devops/activities?startAfterCreation=true' \\"
echo "       -H 'Content-Type: application/json' \\"
echo "       -d '{\"dataProductId\":\"urn:org.opendatamesh:dataproducts:hello\",\"dataProductVersion\":\"1.0.0\",\"stage\":\"dev\"}'"
echo "     then read it back from another replica: curl http://127.0.0.1:8004/api/v1/pp/devops/activities"
wait
