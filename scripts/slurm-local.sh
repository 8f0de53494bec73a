#!/usr/bin/env bash
# A single-node SLURM on this machine, for the sweep's end-to-end test (scripts/test-slurm.sh).
#   bash scripts/slurm-local.sh start DIR   installs slurm-wlm and munge if missing, writes DIR/slurm.conf
#                                            for this host (its cores and memory), starts munged,
#                                            slurmctld and slurmd, waits until the node is idle, and
#                                            prints `export SLURM_CONF=DIR/slurm.conf`
#   bash scripts/slurm-local.sh stop DIR    stops the daemons it started (their pid files in DIR)
# Everything the daemons write (state, spool, logs, pid files) stays under DIR; nothing in /etc changes
# except munge's key, which the package creates.
set -euo pipefail
action=${1:?usage: slurm-local.sh start|stop DIR}
dir=${2:?usage: slurm-local.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

stop() {
  for d in slurmd slurmctld munged; do
    if [ -f "$dir/$d.pid" ]; then
      pid=$(cat "$dir/$d.pid")
      $SUDO kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      $SUDO kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$d.pid"
    fi
  done
}

case "$action" in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: slurm-local.sh start|stop DIR" >&2; exit 2 ;;
esac

need=""
for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"; done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $need >/dev/null
fi
# The packages' own services may have started; this test runs its own daemons from DIR.
$SUDO systemctl stop slurmd slurmctld munge >/dev/null 2>&1 || true

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
cat > "$dir/slurm.conf" <<CONF
# Written by scripts/slurm-local.sh: one node, this machine.
ClusterName=criticality-test
SlurmctldHost=$host
SlurmctldPort=6917
SlurmdPort=6918
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=$(id -un)
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=30
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

stop  # a previous start in DIR
$SUDO munged --force --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" 
$SUDO slurmctld -f "$SLURM_CONF"
$SUDO slurmd -f "$SLURM_CONF"
for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  if [ "$state" = "idle" ]; then echo "export SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 0.5
done
echo "slurm-local.sh: the node $host did not become idle within 60 s (state '${state:-none}'); logs: $dir/*.log" >&2
tail -5 "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/munged.log >&2 || true
stop
exit 1
