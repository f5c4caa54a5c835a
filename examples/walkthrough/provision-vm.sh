#!/bin/sh
# Stands in for the pipeline that provisions the dev VM: reports the VM it made.
echo "provisioning a VM for task $TOLLGATE_TASK_KEY" >&2
echo '{"vm": {"name": "vm-dev", "ip": "198.168.20.120"}}'
