#!/usr/bin/env bash
# Analysis benchmark (issue 3, "Speed and memory"): `tcplab analyze` side by
# side with tshark and tcpdump on a capture of the lab's exchange under load
# that this script records itself.
#
# 1. Recording (skipped when the cached files exist): `tcplab server --quiet`
#    on a free loopback port (never 2000, which tshark dissects as Cisco
#    SCCP), `tcplab bench --concurrency 128` for enough exchanges (about 10
#    packets each), captured with `tcplab capture -q -w`. If the kernel
#    dropped packets, tcplab capture did not keep up: the script says so and
#    records again with tcpdump. The recording holds 2 × PACKETS packets;
#    the files measured are its first PACKETS/2 (half), PACKETS (main) and
#    2 × PACKETS (double) packets, cut with editcap, so the three are the
#    same traffic at three sizes.
# 2. Parity: `tcplab analyze --no-conv` must print the same lines as
#    `tshark -r` with every protocol above TCP disabled (as the analysis
#    tests run it: otherwise an ephemeral port such as 6667 or 57000 makes
#    tshark print IRC or another protocol's summary instead of TCP's).
# 3. Timing, output to /dev/null, runs interleaved, median reported:
#      tshark -r FILE                       (RUNS_TSHARK times)
#      tshark -r FILE -z conv,tcp           (RUNS_TSHARK times)
#      tcpdump -n -r FILE                   (RUNS times)
#      tcplab analyze FILE                  (RUNS times)
#      tcplab analyze --no-conv FILE        (RUNS times)
#      tshark -r FILE -T fields -e <contract fields>   (RUNS_FIELDS times)
#      tcplab analyze --format ndjson FILE  (RUNS times)
#    (the fields run RUNS_FIELDS times: it is the slowest by far), plus,
#    for reference, one run of `tshark -r` with the protocols above TCP
#    disabled (the parity run; with TCPONLY_FIELDS=1 also the fields run),
#    and tcplab on the half- and double-size files for memory.
# 4. Wall time, user+sys CPU and peak RSS of each (GNU time's figures, or
#    /proc's without it: see measure.py below), the ratios, and PASS/FAIL
#    for the targets:
#      tshark -r / tcplab analyze --no-conv    ≥ 25   (the same packet list)
#      tshark -r -z conv,tcp / tcplab analyze  ≥ 25   (the list and the
#        conversation table, which tcplab prints by default)
#      tcpdump -n -r / tcplab analyze --no-conv > 1
#      tshark -T fields / tcplab ndjson        ≥ 10
#      tshark peak RSS / tcplab peak RSS       ≥ 10
#      tcplab peak RSS flat in the file size: double-size ≤ 1.25 × half-size
#        (the file grows 4×)
#    Ratios, not absolute times: the machine is shared and noisy. A speed
#    target passes only when both the wall-time and the CPU-time ratio meet
#    it (on a busy machine wall time mostly measures the other processes).
#
# Usage: bench/analyze.sh   (from anywhere; after scripts/setup)
# Needs: go (unless TCPLAB is set), python3, ss, tshark, editcap and capinfos
#   (Debian packages tshark and wireshark-common), tcpdump. Recording needs
#   root or CAP_NET_RAW.
# Environment:
#   PACKETS (1500000)   packets in the main file
#   CACHE (/tmp/tcplab-analyze-bench)  where recordings are kept; a rerun
#                       with the same PACKETS skips recording
#   RUNS (3)            runs of each fast command (tcplab, tcpdump)
#   RUNS_TSHARK (2)     runs of `tshark -r`
#   RUNS_FIELDS (1)     runs of `tshark -T fields` (about 4 × `tshark -r`)
#   TCPONLY_FIELDS (0)  1: also time `tshark -T fields` with the protocols
#                       above TCP disabled
#   LIMIT (900)         seconds any one measured command may take
#   OUT (a new temporary directory)  per-run figures, logs, summary.md
#   TCPLAB              a prebuilt tcplab binary instead of building one
#   TCPLAB_REV          what to call it in the report (its commit)
# Output: a Markdown report on stdout (also in $OUT/summary.md); progress
# on stderr. Exit status 0 if every step ran, whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

PACKETS=${PACKETS:-1500000}
CACHE=${CACHE:-/tmp/tcplab-analyze-bench}
RUNS=${RUNS:-3}
RUNS_TSHARK=${RUNS_TSHARK:-2}
RUNS_FIELDS=${RUNS_FIELDS:-1}
TCPONLY_FIELDS=${TCPONLY_FIELDS:-0}
LIMIT=${LIMIT:-900}
OUT=${OUT:-$(mktemp -d /tmp/tcplab-analyze.XXXXXX)}
mkdir -p "$OUT" "$CACHE"

log() { echo "analyze-bench: $(date -u +%H:%M:%S) $*" >&2; }

missing=()
for tool in python3 ss tshark tcpdump editcap capinfos; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -n "${TCPLAB:-}" ] || command -v go >/dev/null || missing+=(go)
if [ ${#missing[@]} -gt 0 ]; then
	log "missing: ${missing[*]} (scripts/setup installs them: Debian packages tshark, wireshark-common, tcpdump, python3, iproute2; Go from go.dev)"
	exit 1
fi
case $PACKETS in '' | *[!0-9]*) log "PACKETS=$PACKETS: want a number"; exit 1 ;; esac

if [ -n "${TCPLAB:-}" ]; then
	tcplab=$TCPLAB
else
	log "building tcplab into $OUT"
	CGO_ENABLED=0 go build -o "$OUT/tcplab" ./cmd/tcplab
	tcplab=$OUT/tcplab
fi

# measure.py NAME OUTFILE -- ARGV...: runs ARGV with stdout to OUTFILE and
# stderr to $OUT/NAME.err, killed after $LIMIT s, and appends one JSON line
# (wall s, user s, sys s, peak RSS KiB, exit status) to $OUT/runs.ndjson.
#
# Peak RSS: with GNU time (Debian package "time"), its %M, the child's
# ru_maxrss. Without it, the highest VmHWM read from /proc/PID/status every
# 5 ms while the command runs (VmHWM is the high-water mark of the
# command's own memory, so only growth in its last 5 ms could be missed).
# Not Python's own wait4 ru_maxrss: Linux carries the forking process's
# high-water mark across execve into the child's ru_maxrss, so a child of
# Python never reads below Python's own ~10 MiB.
cat >"$OUT/measure.py" <<'EOF'
import json, os, signal, subprocess, sys, threading, time
out, limit, name, outfile = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
argv = sys.argv[6:]
gnu_time = "/usr/bin/time"
use_gnu = os.access(gnu_time, os.X_OK) and os.environ.get("NO_GNU_TIME") != "1"
tfile = f"{out}/{name}.time"
if use_gnu:
    argv = [gnu_time, "-f", "%U %S %M", "-o", tfile, "--"] + argv
with open(outfile, "wb") as so, open(f"{out}/{name}.err", "ab") as se:
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=so, stderr=se, stdin=subprocess.DEVNULL, start_new_session=True)
    timer = threading.Timer(limit, lambda: os.killpg(p.pid, signal.SIGKILL))
    timer.start()
    hwm = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if not use_gnu:
            try:
                for l in open(f"/proc/{p.pid}/status"):
                    if l.startswith("VmHWM:"):
                        hwm = max(hwm, int(l.split()[1]))
            except (OSError, ValueError):
                pass
        time.sleep(0.005)
    wall = time.monotonic() - t0
    timer.cancel()
p.returncode = 0  # reaped by wait4 already
rc = os.waitstatus_to_exitcode(status)
user, sys_, rss = ru.ru_utime, ru.ru_stime, hwm
if use_gnu:
    try:
        fields = open(tfile).read().split()[-3:]
        user, sys_, rss = float(fields[0]), float(fields[1]), int(fields[2])
    except (OSError, ValueError, IndexError):
        rc = rc or 1
rec = {"name": name, "wall": wall, "user": user, "sys": sys_, "rss_kib": rss, "rc": rc,
       "rss_from": "GNU time" if use_gnu else "VmHWM"}
with open(f"{out}/runs.ndjson", "a") as f:
    f.write(json.dumps(rec) + "\n")
print(f"{name}: {wall:.2f} s wall, {user + sys_:.2f} s CPU, {rss / 1024:.1f} MiB peak RSS, exit {rc}", file=sys.stderr)
sys.exit(0 if rc == 0 else 1)
EOF
measure() {
	local name=$1 outfile=$2
	shift 2
	python3 "$OUT/measure.py" "$OUT" "$LIMIT" "$name" "$outfile" -- "$@" || log "$name failed (see $OUT/$name.err)"
}

free_port() {
	local p
	while :; do
		p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		[ "$p" != 2000 ] && { echo "$p"; return; }
	done
}

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# wait_for FILE PATTERN: waits up to 10 s for PATTERN to appear in FILE.
wait_for() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# record TOOL FILE: records the lab exchange under load into FILE with TOOL
# (tcplab or tcpdump) and writes "packets drops" to FILE.counts.
record() {
	local tool=$1 file=$2 port exchanges srv cap rc=0
	port=$(free_port)
	exchanges=$((PACKETS * 2 / 10 * 115 / 100)) # about 10 packets each, with a margin
	log "recording with $tool: server on 127.0.0.1:$port, bench at concurrency 128 for $exchanges exchanges"
	"$tcplab" server --addr "127.0.0.1:$port" --quiet >"$OUT/record-server.log" 2>&1 &
	srv=$!
	pids+=("$srv")
	for _ in $(seq 100); do
		ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	case $tool in
	tcplab)
		"$tcplab" capture -q --buffer 256 -w "$file" "tcp port $port" 2>"$OUT/record-capture.log" &
		cap=$!
		wait_for "$OUT/record-capture.log" "capturing on" || { log "tcplab capture did not start:"; cat "$OUT/record-capture.log" >&2; return 1; }
		;;
	tcpdump)
		tcpdump -i lo -B 262144 -s 262144 -w "$file" "tcp port $port" 2>"$OUT/record-capture.log" &
		cap=$!
		wait_for "$OUT/record-capture.log" "listening on" || { log "tcpdump did not start:"; cat "$OUT/record-capture.log" >&2; return 1; }
		;;
	esac
	pids+=("$cap")
	"$tcplab" bench --addr "127.0.0.1:$port" --concurrency 128 --count "$exchanges" --duration "${LIMIT}s" --format json >"$OUT/record-bench.json" || rc=$?
	sleep 1
	kill -INT "$cap"
	wait "$cap" || rc=$?
	kill -TERM "$srv"
	wait "$srv" || true
	pids=()
	[ "$rc" = 0 ] || { log "recording failed (exit $rc); logs in $OUT"; cat "$OUT/record-capture.log" >&2; return 1; }
	python3 - "$OUT/record-bench.json" <<'EOF' >&2
import json, sys
j = json.load(open(sys.argv[1]))
print(f"analyze-bench: bench: {j['ok']} exchanges ok, {j['failed']} failed, {j['exchanges_per_s']:.0f}/s")
EOF
	# "N packets captured ... (R received by filter, D dropped by kernel)"
	# from tcplab; tcpdump prints three lines with the same words.
	python3 - "$OUT/record-capture.log" "$tool" >"$file.counts" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
cap = re.search(r"(\d+) packets captured", t)
drop = re.search(r"(\d+) (?:packets )?dropped by kernel", t)
print(cap.group(1) if cap else "0", drop.group(1) if drop else "0", sys.argv[2])
EOF
	cat "$OUT/record-capture.log" >&2
}

base=$CACHE/lab-$PACKETS
half=$base-half.pcapng main=$base-main.pcapng double=$base-double.pcapng
if [ -s "$half" ] && [ -s "$main" ] && [ -s "$double" ] && [ -s "$base.source" ]; then
	log "using the cached recording $base-*.pcapng ($(cat "$base.source"))"
else
	raw=$CACHE/lab-$PACKETS-raw.pcapng
	record tcplab "$raw"
	read -r npk drops _ <"$raw.counts"
	source="recorded with tcplab capture: $npk packets, $drops dropped by the kernel"
	if [ "$drops" != 0 ]; then
		log "tcplab capture did not keep up ($drops packets dropped by the kernel): recording again with tcpdump"
		rm -f "$raw" "$raw.counts"
		raw=$CACHE/lab-$PACKETS-raw.pcap
		record tcpdump "$raw"
		read -r npk drops _ <"$raw.counts"
		source="$source; so recorded again with tcpdump: $npk packets, $drops dropped by the kernel"
	fi
	if [ "$npk" -lt $((PACKETS * 2)) ]; then
		log "the recording has $npk packets, fewer than 2 × $PACKETS"
		exit 1
	fi
	log "cutting the half, main and double files with editcap"
	# editcap -r keeps the selected packets and the file's format.
	editcap -F pcapng -r "$raw" "$half" "1-$((PACKETS / 2))"
	editcap -F pcapng -r "$raw" "$main" "1-$PACKETS"
	editcap -F pcapng -r "$raw" "$double" "1-$((PACKETS * 2))"
	rm -f "$raw" "$raw.counts"
	echo "$source" >"$base.source"
fi

count() { capinfos -c -M "$1" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}'; }
size() { stat -c %s "$1"; }

{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') × $(nproc)"
	echo "mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel=$(uname -r)"
	if [ -n "${TCPLAB:-}" ]; then
		echo "tree=${TCPLAB_REV:-prebuilt $TCPLAB}"
	else
		echo "tree=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
	fi
	echo "tshark=$(tshark --version 2>/dev/null | head -1 | awk '{print $3}')"
	echo "tcpdump=$(tcpdump --version 2>&1 | head -1 | awk '{print $3}')"
	echo "source=$(cat "$base.source")"
	for f in half main double; do
		eval "p=\$$f"
		echo "$f=$(count "$p") $(size "$p")"
	done
	echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "runs=$RUNS"
	echo "runs_tshark=$RUNS_TSHARK"
	echo "runs_fields=$RUNS_FIELDS"
} >"$OUT/machine.txt"

# tshark's options that leave only the layers tcplab decodes and TCP, as
# the analysis tests run it.
disable=()
while IFS=$'\t' read -r _ _ filter; do
	case $filter in
	frame | eth | ethertype | vlan | ieee8021ad | sll | null | loop | raw | ip | ipv6 | ipv6.dstopts | ipv6.fraghdr | ipv6.hopopts | ipv6.routing | tcp) ;;
	?*) disable+=(--disable-protocol "$filter") ;;
	esac
done < <(tshark -G protocols 2>/dev/null)

# The contract's fields (docs of internal/listing: ../shared/spec/analysis-json.md).
fields=(frame.number frame.time_relative ip.src ipv6.src ip.dst ipv6.dst tcp.srcport tcp.dstport
	tcp.stream tcp.flags tcp.seq tcp.ack tcp.seq_raw tcp.ack_raw tcp.len tcp.window_size_value
	tcp.window_size tcp.window_size_scalefactor tcp.checksum tcp.checksum.status
	tcp.analysis.retransmission tcp.analysis.fast_retransmission tcp.analysis.spurious_retransmission
	tcp.analysis.out_of_order tcp.analysis.lost_segment tcp.analysis.ack_lost_segment
	tcp.analysis.duplicate_ack tcp.analysis.zero_window tcp.analysis.zero_window_probe
	tcp.analysis.zero_window_probe_ack tcp.analysis.window_full tcp.analysis.window_update
	tcp.analysis.keep_alive tcp.analysis.keep_alive_ack tcp.analysis.reused_ports
	tcp.analysis.duplicate_ack_frame tcp.analysis.duplicate_ack_num _ws.col.Info)
efields=()
for f in "${fields[@]}"; do efields+=(-e "$f"); done

: >"$OUT/runs.ndjson"

log "parity: tcplab's packet list against tshark's (protocols above TCP disabled) on the main file"
measure tshark-tcponly-list "$OUT/parity-tshark.txt" tshark -r "$main" "${disable[@]}"
measure tcplab-list-parity "$OUT/parity-tcplab.txt" "$tcplab" analyze --no-conv "$main"
python3 - "$OUT/parity-tshark.txt" "$OUT/parity-tcplab.txt" >"$OUT/parity.txt" <<'EOF'
import sys
a = open(sys.argv[1], "rb").read().splitlines()
b = open(sys.argv[2], "rb").read().splitlines()
diff = [i for i in range(max(len(a), len(b))) if (a[i] if i < len(a) else None) != (b[i] if i < len(b) else None)]
print(f"lines={len(a)} {len(b)} differing={len(diff)}")
for i in diff[:5]:
    print(f"line {i + 1}:")
    print("  tshark:", (a[i] if i < len(a) else b"(none)").decode(errors="replace"))
    print("  tcplab:", (b[i] if i < len(b) else b"(none)").decode(errors="replace"))
EOF
cat "$OUT/parity.txt" >&2
rm -f "$OUT/parity-tshark.txt" "$OUT/parity-tcplab.txt"
if [ "$TCPONLY_FIELDS" = 1 ]; then
	measure tshark-tcponly-fields /dev/null tshark -r "$main" "${disable[@]}" -T fields -E occurrence=f "${efields[@]}"
fi

for r in $(seq "$RUNS"); do
	log "round $r/$RUNS"
	measure tcplab-list /dev/null "$tcplab" analyze "$main"
	measure tcplab-list-only /dev/null "$tcplab" analyze --no-conv "$main"
	measure tcpdump /dev/null tcpdump -n -r "$main"
	measure tcplab-ndjson /dev/null "$tcplab" analyze --format ndjson "$main"
	if [ "$r" -le "$RUNS_TSHARK" ]; then
		measure tshark-list /dev/null tshark -r "$main"
		measure tshark-list-conv /dev/null tshark -r "$main" -z conv,tcp
	fi
	if [ "$r" -le "$RUNS_FIELDS" ]; then
		measure tshark-fields /dev/null tshark -r "$main" -T fields -E occurrence=f "${efields[@]}"
	fi
	for size in half double; do
		eval "f=\$$size"
		measure "tcplab-list-$size" /dev/null "$tcplab" analyze "$f"
		measure "tcplab-ndjson-$size" /dev/null "$tcplab" analyze --format ndjson "$f"
	done
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

python3 - "$OUT" <<'EOF' | tee "$OUT/summary.md"
import json, statistics, sys
out = sys.argv[1]
m = dict(l.rstrip("\n").split("=", 1) for l in open(f"{out}/machine.txt") if "=" in l)
runs = {}
for l in open(f"{out}/runs.ndjson"):
    j = json.loads(l)
    runs.setdefault(j["name"], []).append(j)
def med(name, key):
    rs = [r for r in runs.get(name, []) if r["rc"] == 0]
    if not rs:
        return None
    if key == "cpu":
        return statistics.median(r["user"] + r["sys"] for r in rs)
    if key == "rss":
        return statistics.median(r["rss_kib"] for r in rs) / 1024
    return statistics.median(r[key] for r in rs)
def rss_range(name):
    rs = [r["rss_kib"] / 1024 for r in runs.get(name, []) if r["rc"] == 0]
    if not rs:
        return "–"
    lo, hi = min(rs), max(rs)
    return f"{statistics.median(rs):.0f}" if hi - lo < 1 else f"{statistics.median(rs):.0f} ({lo:.0f}–{hi:.0f})"
def n(name):
    return len([r for r in runs.get(name, []) if r["rc"] == 0])
sizes = {k: m[k].split() for k in ("half", "main", "double")}
pk = {k: int(v[0]) for k, v in sizes.items()}
mib = {k: int(v[1]) / 2**20 for k, v in sizes.items()}
lines, diff = None, None
for l in open(f"{out}/parity.txt"):
    if l.startswith("lines="):
        parts = l.split()
        lines, diff = int(parts[0].split("=")[1]), int(parts[2].split("=")[1])

print(f"Run {m['date']} on {m['cpu']}, {m['mem']}, Linux {m['kernel']}, tcplab {m['tree']}, "
      f"tshark {m['tshark']}, tcpdump {m['tcpdump']}; load average {m['load_before']} before, {m.get('load_after', '?')} after.")
print(f"Capture: the lab exchange under load on loopback ({m['source']}); "
      f"main file {pk['main']:,} packets, {mib['main']:.0f} MiB pcapng.")
rss_from = sorted({r.get("rss_from", "?") for rs in runs.values() for r in rs})
print(f"Figures: medians over the runs shown (peak RSS from {', '.join(rss_from)}; its range over runs in brackets); output to /dev/null.")
print()
print("| command | runs | wall s | user+sys s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
rows = [
    ("tshark-list", "`tshark -r FILE`"),
    ("tshark-tcponly-list", "`tshark -r FILE --disable-protocol …` (TCP only, to a file: the parity run)"),
    ("tcplab-list-parity", "`tcplab analyze --no-conv FILE` (to a file: the parity run)"),
    ("tcpdump", "`tcpdump -n -r FILE`"),
    ("tshark-list-conv", "`tshark -r FILE -z conv,tcp`"),
    ("tcplab-list-only", "`tcplab analyze --no-conv FILE` (the packet list alone, as `tshark -r` prints it)"),
    ("tcplab-list", "`tcplab analyze FILE` (the packet list and the conversation table)"),
    ("tshark-fields", "`tshark -r FILE -T fields -e …` (the contract's 38 fields)"),
    ("tshark-tcponly-fields", "the same, TCP only (`--disable-protocol …`)"),
    ("tcplab-ndjson", "`tcplab analyze --format ndjson FILE`"),
]
def f2(x, fmt="{:.2f}"):
    return "–" if x is None else fmt.format(x)
for name, label in rows:
    if n(name):
        print(f"| {label} | {n(name)} | {f2(med(name, 'wall'))} | {f2(med(name, 'cpu'))} | {rss_range(name)} |")
print()
print("tcplab's peak RSS against the file's size (same traffic, three lengths):")
print()
print("| file | packets | MiB | packet list: user+sys s | peak RSS MiB | ndjson: user+sys s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|---:|")
for k, suffix in (("half", "-half"), ("main", ""), ("double", "-double")):
    print(f"| {k} | {pk[k]:,} | {mib[k]:.0f} | {f2(med('tcplab-list' + suffix, 'cpu'))} | {rss_range('tcplab-list' + suffix)} "
          f"| {f2(med('tcplab-ndjson' + suffix, 'cpu'))} | {rss_range('tcplab-ndjson' + suffix)} |")
print()
def ratio(a, b):
    return a / b if a is not None and b else None
# Speed: a target passes when both the wall-time ratio and the CPU-time
# ratio meet it. On a shared machine wall time mostly measures what the
# other processes did meanwhile (a tshark run can take twice as long as
# the previous one); CPU time does not, and all three tools use one core
# (tcplab's garbage collector aside), so on an idle machine the two agree.
speed = [
    ("packet list: `tshark -r` / `tcplab analyze --no-conv` (the same output)", "tshark-list", "tcplab-list-only", 25, "≥ 25"),
    ("with the conversation table: `tshark -r -z conv,tcp` / `tcplab analyze`", "tshark-list-conv", "tcplab-list", 25, "≥ 25"),
    ("packet list: `tcpdump -n -r` / `tcplab analyze --no-conv`", "tcpdump", "tcplab-list-only", 1, "> 1"),
    ("reference: `tshark -r` / `tcplab analyze` (which also prints the conversation table)", "tshark-list", "tcplab-list", None, ""),
    ("ndjson: `tshark -T fields` / `tcplab analyze --format ndjson`", "tshark-fields", "tcplab-ndjson", 10, "≥ 10"),
    ("reference: `tshark -r`, TCP only / `tcplab analyze --no-conv`, both to a file", "tshark-tcponly-list", "tcplab-list-parity", None, ""),
    ("reference: `tshark -T fields`, TCP only / `tcplab analyze --format ndjson`", "tshark-tcponly-fields", "tcplab-ndjson", None, ""),
]
print("| speed ratio | wall time | CPU time | target | |")
print("|---|---:|---:|---|---|")
for what, a, b, target, label in speed:
    if not n(a) or not n(b):
        continue
    rw, rc = ratio(med(a, "wall"), med(b, "wall")), ratio(med(a, "cpu"), med(b, "cpu"))
    verdict = ""
    if target is not None:
        meets = lambda r: r is not None and (r > target if label.startswith(">") else r >= target)
        verdict = "PASS" if meets(rw) and meets(rc) else "FAIL"
    print(f"| {what} | {f2(rw, '{:.1f}')} | {f2(rc, '{:.1f}')} | {label} | {verdict} |")
print()
checks = []
tl_rss = max(x for x in (med("tcplab-list", "rss"), med("tcplab-ndjson", "rss")) if x is not None)
r = ratio(med("tshark-list", "rss"), tl_rss)
checks.append(("tshark -r / tcplab analyze (the larger of list and ndjson)", r, r is not None and r >= 10, "≥ 10"))
for fmt in ("list", "ndjson"):
    r = ratio(med(f"tcplab-{fmt}-double", "rss"), med(f"tcplab-{fmt}-half", "rss"))
    checks.append((f"flat: tcplab {fmt}, double-size file / half-size file (4× the packets)", r, r is not None and r <= 1.25, "≤ 1.25"))
print("| peak RSS ratio | value | target | |")
print("|---|---:|---|---|")
for what, r, ok, target in checks:
    print(f"| {what} | {f2(r, '{:.2f}')} | {target} | {'PASS' if ok else 'FAIL'} |")
print()
if diff is None:
    print("Parity: not checked.")
elif diff == 0:
    print(f"Parity: PASS, tcplab's packet list is the same {lines:,} lines as tshark's (protocols above TCP disabled).")
else:
    print(f"Parity: FAIL, {diff:,} of {lines:,} lines differ from tshark's (first ones in {out}/parity.txt).")
EOF
log "per-run figures and logs are in $OUT"
