#!/bin/sh
# Stands in for the pipeline that deploys the application onto the VM whose address the
# previous task reported (Tollgate resolved ${dev.results.task1.vm.ip} into params.vmIp).
if [ "$TOLLGATE_PARAM_VMIP" != "198.168.20.120" ]; then
  echo "expected the VM address from task1, got '$TOLLGATE_PARAM_VMIP'" >&2
  exit 1
fi
echo "deploying onto $TOLLGATE_PARAM_VMIP" >&2
printf '{"url": "localhost:8121/helloWorld"}' > "$TOLLGATE_RESULTS_FILE"
