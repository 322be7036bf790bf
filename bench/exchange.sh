#!/usr/bin/env bash
# Exchange benchmark (issue 2, "Speed"): the lab's full exchange (connect,
# send "<name>,<number>", read the reply until close, close) driven by
# `tcplab bench` at several concurrencies against three servers of the same
# protocol, side by side in one run:
#
#   tcplab   `tcplab server --quiet`, built from this checkout
#   C        bench/cserver.c, built here with gcc -O2: an epoll loop per
#            core, the practical ceiling of the machine
#   c1       the same C server with one thread (for reference: on a small
#            machine one server thread may leave more CPU to the generator)
#   python   the lab's original_server.py (one client at a time, listen(0))
#
# Each cell (server × concurrency) starts its server on a fresh free port,
# warms it up briefly, measures for $DURATION (in-flight exchanges then end
# within $TIMEOUT), and stops the server. Server CPU is utime+stime of the
# server process from /proc/PID/stat around the measured run, divided by the
# exchanges it completed. With ROUNDS > 1 the cells run ROUNDS times,
# interleaved, and the report gives the median of each figure.
#
# CPU placement (PIN): by default nothing is pinned: the load generator and
# the server share all cores, so a server that burns less CPU per exchange
# leaves more to the generator and shows more exchanges/s; each server uses
# every core it may (GOMAXPROCS for Go, one thread per CPU for the C
# server, one thread for Python). PIN=1 pins the server to the last CPU and
# the generator to the others, so every server gets exactly one core (Go
# and C size themselves to it) — also fair to all three, but on a 2-core
# machine the generator's single core is then the limit.
#
# Usage: bench/exchange.sh            (from anywhere; needs go, gcc, python3, ss)
# Environment: DURATION (5s), TIMEOUT (5s), CONCURRENCY ("1 16 128"),
#   ROUNDS (3), SERVERS ("tcplab c c1 python"), PIN (0), SEED (../shared/seed),
#   OUT (a new temporary directory: per-cell JSON, server logs, summary),
#   TCPLAB (a prebuilt tcplab binary to use instead of building one),
#   REPORT=1 (no run: rebuild the report from the files in $OUT).
# Output: a Markdown report on stdout (also in $OUT/summary.md); progress
# on stderr. Exit status 0 if every cell ran, whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

DURATION=${DURATION:-5s}
TIMEOUT=${TIMEOUT:-5s}
CONCURRENCY=${CONCURRENCY:-"1 16 128"}
ROUNDS=${ROUNDS:-3}
SERVERS=${SERVERS:-"tcplab c c1 python"}
PIN=${PIN:-0}
SEED=${SEED:-$repo/../shared/seed}
REPORT=${REPORT:-0}
if [ "$REPORT" = 1 ] && [ -z "${OUT:-}" ]; then
	echo "exchange: REPORT=1 needs OUT, the directory of an earlier run" >&2
	exit 2
fi
OUT=${OUT:-$(mktemp -d /tmp/tcplab-exchange.XXXXXX)}
mkdir -p "$OUT"

log() { echo "exchange: $*" >&2; }

if [ "$REPORT" != 1 ]; then
	for tool in go gcc python3 ss; do
		command -v "$tool" >/dev/null || { log "needs $tool (run scripts/setup)"; exit 1; }
	done
	case " $SERVERS " in
	*" python "*) [ -f "$SEED/original_server.py" ] || { log "no $SEED/original_server.py (set SEED)"; exit 1; } ;;
	esac

	if [ -n "${TCPLAB:-}" ]; then
		tcplab=$TCPLAB
		log "using $tcplab; building the C server into $OUT"
	else
		log "building tcplab and the C server into $OUT"
		CGO_ENABLED=0 go build -o "$OUT/tcplab" ./cmd/tcplab
		tcplab=$OUT/tcplab
	fi
	gcc -O2 -Wall -pthread -o "$OUT/cserver" bench/cserver.c

	ncpu=$(nproc)
	gen_pin=() srv_pin=()
	if [ "$PIN" = 1 ]; then
		[ "$ncpu" -ge 2 ] || { log "PIN=1 needs at least 2 CPUs"; exit 1; }
		gen_pin=(taskset -c "0-$((ncpu - 2))")
		srv_pin=(taskset -c "$((ncpu - 1))")
	fi
	clk_tck=$(getconf CLK_TCK)

	free_port() {
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
	}

	# cpu_ticks PID: utime+stime of the whole process (all threads), fields 14
	# and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
	cpu_ticks() {
		local stat
		stat=$(cat "/proc/$1/stat") || return 1
		stat=${stat##*) }
		set -- $stat
		echo $((${12} + ${13}))
	}

	# children_ms FILE: the CPU time (user+system, ms) of this shell's reaped
	# children, from the output of the `times` builtin saved in FILE (run in
	# the main shell: a subshell starts with none).
	children_ms() {
		python3 -c 'import re,sys; l=open(sys.argv[1]).read().splitlines()[1]; print(round(sum(int(m)*60000+float(s)*1000 for m,s in re.findall(r"(\d+)m([\d.]+)s", l))))' "$1"
	}

	server_pid=""
	stop_server() {
		[ -n "$server_pid" ] || return 0
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 30); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	}
	trap stop_server EXIT

	# start_server NAME PORT LOG: starts the server in the background (the
	# process itself, not a wrapper, so that its PID is the one measured) and
	# waits until it listens, without connecting to it (the original server
	# exits on an empty connection).
	start_server() {
		local name=$1 port=$2 logf=$3
		case $name in
		tcplab) "${srv_pin[@]}" "$tcplab" server --addr "127.0.0.1:$port" --quiet >"$logf" 2>&1 & ;;
		c) "${srv_pin[@]}" "$OUT/cserver" "$port" >"$logf" 2>&1 & ;;
		c1) "${srv_pin[@]}" "$OUT/cserver" "$port" 1 >"$logf" 2>&1 & ;;
		python) "${srv_pin[@]}" python3 -u "$SEED/original_server.py" "$port" >/dev/null 2>"$logf" & ;;
		*) log "unknown server $name"; return 1 ;;
		esac
		server_pid=$!
		for _ in $(seq 100); do
			if ss -Hltn "sport = :$port" | grep -q .; then return 0; fi
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.05
		done
		log "$name did not start listening on port $port; its log:"
		cat "$logf" >&2
		return 1
	}

	{
		echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') × $ncpu"
		echo "kernel=$(uname -r)"
		echo "tree=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
		echo "go=$(go version | cut -d' ' -f3)"
		echo "gcc=$(gcc -dumpfullversion)"
		echo "python=$(python3 -c 'import platform; print(platform.python_version())')"
		echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
		echo "duration=$DURATION"
		echo "timeout=$TIMEOUT"
		echo "pin=$PIN"
		echo "rounds=$ROUNDS"
		echo "concurrency=$CONCURRENCY"
		echo "servers=$SERVERS"
		echo "cthreads=$( "${srv_pin[@]}" nproc )"
	} >"$OUT/machine.txt"

	for round in $(seq "$ROUNDS"); do
		for conc in $CONCURRENCY; do
			for name in $SERVERS; do
				cell=$OUT/$name-c$conc-r$round
				port=$(free_port)
				log "round $round/$ROUNDS: $name, concurrency $conc, port $port"
				if ! start_server "$name" "$port" "$cell.log"; then
					echo '{"error":"server did not start"}' >"$cell.json"
					stop_server
					continue
				fi
				# Warm-up, not measured: code paths, page cache, the first
				# connections' slow paths.
				"${gen_pin[@]}" "$tcplab" bench --addr "127.0.0.1:$port" --concurrency 1 --count 300 --duration 2s --timeout "$TIMEOUT" --format json >"$cell.warmup.json" || true
				before=$(cpu_ticks "$server_pid" || echo 0)
				times >"$OUT/times.before"
				"${gen_pin[@]}" "$tcplab" bench --addr "127.0.0.1:$port" --concurrency "$conc" --duration "$DURATION" --timeout "$TIMEOUT" --format json >"$cell.json"
				times >"$OUT/times.after"
				gen_ms=$(($(children_ms "$OUT/times.after") - $(children_ms "$OUT/times.before")))
				if after=$(cpu_ticks "$server_pid"); then
					echo "$((after - before)) $clk_tck alive $gen_ms" >"$cell.cpu"
				else
					echo "0 $clk_tck died $gen_ms" >"$cell.cpu"
					log "$name died during the run; its log:"
					tail -5 "$cell.log" >&2 || true
				fi
				stop_server
			done
		done
	done
	echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
fi

python3 - "$OUT" <<'EOF' | tee "$OUT/summary.md"
import json, statistics, sys
out = sys.argv[1]
machine = dict(l.rstrip("\n").split("=", 1) for l in open(f"{out}/machine.txt") if "=" in l)
rounds, concs, servers = int(machine["rounds"]), machine["concurrency"].split(), machine["servers"].split()
cthreads = machine["cthreads"]
label = {"tcplab": "tcplab", "c": f"C epoll, {cthreads} thread(s)", "c1": "C epoll, 1 thread", "python": "original_server.py"}

def cell(name, conc):
    runs = []
    for r in range(1, rounds + 1):
        base = f"{out}/{name}-c{conc}-r{r}"
        try:
            j = json.load(open(base + ".json"))
            ticks, hz, state, gen_ms = open(base + ".cpu").read().split()
        except (OSError, ValueError):
            continue
        if "error" in j:
            continue
        j["cpu_us"] = int(ticks) / int(hz) * 1e6 / j["ok"] if j["ok"] else None
        j["gen_us"] = int(gen_ms) * 1e3 / j["ok"] if j["ok"] else None
        j["died"] = state == "died"
        runs.append(j)
    if not runs:
        return None
    med = lambda xs: statistics.median(xs) if xs else None
    fails = {}
    for j in runs:
        for k, v in j["failures"].items():
            if v:
                fails[k] = fails.get(k, 0) + v
    return {
        "rounds": len(runs),
        "rate": med([j["exchanges_per_s"] for j in runs]),
        "ok": sum(j["ok"] for j in runs),
        "failed": sum(j["failed"] for j in runs),
        "fails": fails,
        "p50": med([j["latency_us"]["p50"] for j in runs]),
        "p99": med([j["latency_us"]["p99"] for j in runs]),
        "p999": med([j["latency_us"]["p999"] for j in runs]),
        "max": max(j["latency_us"]["max"] for j in runs),
        "cpu": med([j["cpu_us"] for j in runs if j["cpu_us"] is not None]),
        "gen": med([j["gen_us"] for j in runs if j["gen_us"] is not None]),
        "died": any(j["died"] for j in runs),
    }

def ms(us):
    return "–" if us is None else f"{us / 1000:.2f}"

print(f"Run {machine['date']} on {machine['cpu']}, Linux {machine['kernel']}, tcplab {machine['tree']}, "
      f"{machine['go']}, gcc {machine['gcc']}, Python {machine['python']}.")
print(f"Cells of {machine['duration']} (exchange timeout {machine['timeout']}), {rounds} round(s) interleaved "
      f"(figures are medians over rounds; failures and max over all rounds); "
      f"{'server pinned to its own CPU' if machine['pin'] == '1' else 'nothing pinned'}; "
      f"load average {machine['load_before']} before, {machine.get('load_after', '?')} after.")
print()
print("| server | concurrency | exchanges/s | failed / total | p50 ms | p99 ms | p99.9 ms | max ms | server CPU µs/exchange | generator CPU µs/exchange |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
cells = {}
for conc in concs:
    for name in servers:
        c = cells[name, conc] = cell(name, conc)
        if c is None:
            print(f"| {label.get(name, name)} | {conc} | not run | | | | | | | |")
            continue
        failed = f"{c['failed']} / {c['ok'] + c['failed']}"
        if c["fails"]:
            failed += " (" + ", ".join(f"{k} {v}" for k, v in sorted(c["fails"].items())) + ")"
        if c["died"]:
            failed += " — server died"
        cpu = "–" if c["cpu"] is None else f"{c['cpu']:.1f}"
        gen = "–" if c["gen"] is None else f"{c['gen']:.1f}"
        print(f"| {label.get(name, name)} | {conc} | {c['rate']:.0f} | {failed} | {ms(c['p50'])} | "
              f"{ms(c['p99'])} | {ms(c['p999'])} | {ms(c['max'])} | {cpu} | {gen} |")

if "tcplab" in servers and "c" in servers:
    print()
    print("| concurrency | tcplab/C exchanges/s | tcplab/C p99.9 | tcplab/C CPU per exchange |")
    print("|---:|---:|---:|---:|")
    for conc in concs:
        t, c = cells.get(("tcplab", conc)), cells.get(("c", conc))
        if not t or not c:
            print(f"| {conc} | – | – | – |")
            continue
        ratio = lambda a, b: f"{a / b:.2f}" if a is not None and b else "–"
        print(f"| {conc} | {ratio(t['rate'], c['rate'])} | {ratio(t['p999'], c['p999'])} | {ratio(t['cpu'], c['cpu'])} |")
    top = "128"  # the targets are defined at concurrency 128
    t, c = cells.get(("tcplab", top)), cells.get(("c", top))
    if t and c:
        checks = [
            (f"exchanges/s ≥ 0.95 × C's", t["rate"] >= 0.95 * c["rate"], f"{t['rate']:.0f} vs {0.95 * c['rate']:.0f}"),
            ("no failed exchange", t["failed"] == 0 and not t["died"], f"{t['failed']} failed"),
            ("p99.9 ≤ 1.2 × C's", t["p999"] <= 1.2 * c["p999"], f"{ms(t['p999'])} ms vs {ms(1.2 * c['p999'])} ms"),
        ]
        print()
        print(f"Targets at concurrency {top} (medians over rounds):")
        for what, ok, detail in checks:
            print(f"- {'PASS' if ok else 'FAIL'}: {what} ({detail})")
        # The two cells of a round ran back to back, so their ratio is less
        # exposed to the machine's drift than the ratio of medians.
        pairs = []
        for r in range(1, rounds + 1):
            try:
                a = json.load(open(f"{out}/tcplab-c{top}-r{r}.json"))
                b = json.load(open(f"{out}/c-c{top}-r{r}.json"))
                pairs.append((a["exchanges_per_s"] / b["exchanges_per_s"], a["latency_us"]["p999"] / b["latency_us"]["p999"]))
            except (OSError, KeyError, ValueError, ZeroDivisionError):
                continue
        if pairs:
            print(f"- per round, tcplab/C exchanges/s: {', '.join(f'{x:.2f}' for x, _ in pairs)}; "
                  f"p99.9: {', '.join(f'{y:.2f}' for _, y in pairs)}")
EOF
log "per-cell JSON, CPU and server logs are in $OUT"
