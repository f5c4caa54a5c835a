#!/bin/sh
# Stands in for the test pipeline: checks the endpoint the dev stage deployed
# (Tollgate resolved ${dev.results.task2.url} into params.endpointURL).
if [ -z "$TOLLGATE_PARAM_ENDPOINTURL" ]; then
  echo "no endpoint to test" >&2
  exit 1
fi
echo "{\"tested\": \"$TOLLGATE_PARAM_ENDPOINTURL\", \"passed\": true}"
