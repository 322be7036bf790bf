#!/usr/bin/env bash
# Report benchmark (issue 13, "Large captures stay usable"): the size of
# `tcplab analyze --html` reports of large captures, the time and memory
# tcplab takes to write them, and how long headless Chromium takes to open
# them.
#
# 1. Captures (skipped when cached): a simulated bulk transfer of PACKETS
#    packets, one conversation with a loss every 2000 segments
#    (go run ./bench/bigcapture), and, when bench/analyze.sh has recorded
#    it, its capture of the lab's exchange under load (many short
#    conversations).
# 2. For each capture and each binary (TCPLAB, and BEFORE when set, say a
#    build of an older commit): `analyze --no-conv --html` with GNU time
#    (wall time, user CPU, peak RSS), then the report's size.
# 3. Each report opened RUNS times in headless Chromium over the DevTools
#    pipe (offline, 1100 × 900): the time from navigation to the load
#    event and to the first frame painted after it, and the main thread's
#    task time and layout time (Performance.getMetrics, thread ticks) —
#    the last two count the page's own work and vary least with the
#    machine's load. The median run is reported.
#
# Usage: bench/report.sh      Output: a Markdown table on stdout.
# Needs: go (unless TCPLAB is set), python3, chromium, GNU time.
# Environment:
#   PACKETS (1000000)  packets of the simulated transfer
#   CACHE (/tmp/tcplab-report-bench)  where the captures are kept
#   LAB (/tmp/tcplab-analyze-bench/lab-1500000-half.pcapng)  the lab capture, skipped when missing
#   RUNS (3)           Chromium runs per report
#   TCPLAB             a prebuilt tcplab binary instead of building one
#   BEFORE             another tcplab binary to compare with
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-1000000}
CACHE=${CACHE:-/tmp/tcplab-report-bench}
LAB=${LAB:-/tmp/tcplab-analyze-bench/lab-1500000-half.pcapng}
RUNS=${RUNS:-3}
for tool in python3 chromium /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "report.sh: $tool is missing (scripts/setup installs chromium and python3; GNU time is Debian's time)" >&2; exit 2; }
done
mkdir -p "$CACHE"
OUT=$(mktemp -d)
if [ -z "${TCPLAB:-}" ]; then
	TCPLAB=$OUT/tcplab
	CGO_ENABLED=0 go build -o "$TCPLAB" ./cmd/tcplab
fi
big=$CACHE/transfer-$PACKETS.pcap
[ -s "$big" ] || go run ./bench/bigcapture -packets "$PACKETS" -o "$big" >&2
captures=("$big")
[ -s "$LAB" ] && captures+=("$LAB")

cat >"$OUT/open.py" <<'EOF'
# open.py FILE RUNS: opens FILE RUNS times in headless Chromium over
# --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-terminated JSON) and
# prints the median figures as a table's last two cells.
import json, os, statistics, subprocess, sys, tempfile, time

def main(path, runs):
    r3, w3 = os.pipe()
    r4, w4 = os.pipe()
    def fds():
        os.dup2(r3, 3)
        os.dup2(w4, 4)
    p = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--no-first-run", "--user-data-dir=" + tempfile.mkdtemp(), "--remote-debugging-pipe", "about:blank"],
                         preexec_fn=fds, pass_fds=(3, 4), stderr=subprocess.DEVNULL)
    os.close(r3)
    os.close(w4)
    out, buf, ids = os.fdopen(w3, "wb"), b"", [0]
    def send(method, params=None, session=None):
        ids[0] += 1
        m = {"id": ids[0], "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        out.write(json.dumps(m).encode() + b"\0")
        out.flush()
        return ids[0]
    def recv():
        nonlocal buf
        while b"\0" not in buf:
            d = os.read(r4, 1 << 20)
            if not d:
                sys.exit("chromium exited")
            buf += d
        i = buf.index(b"\0")
        m = json.loads(buf[:i])
        buf = buf[i + 1:]
        return m
    def call(method, params=None, session=None):
        i = send(method, params, session)
        while True:
            m = recv()
            if m.get("id") == i:
                return m.get("result", m)
    url = "file://" + os.path.abspath(path)
    rows = []
    for _ in range(runs):
        t = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = call("Target.attachToTarget", {"targetId": t, "flatten": True})["sessionId"]
        call("Page.enable", None, s)
        call("Performance.enable", {"timeDomain": "threadTicks"}, s)
        call("Network.enable", None, s)
        call("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}, s)
        call("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False}, s)
        t0 = time.monotonic()
        send("Page.navigate", {"url": url}, s)
        while True:
            m = recv()
            if m.get("method") == "Page.loadEventFired" and m.get("sessionId") == s:
                break
        loaded = time.monotonic() - t0
        v = call("Runtime.evaluate", {"expression": "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(document.getElementsByTagName('*').length))))",
                                      "awaitPromise": True, "returnByValue": True}, s)
        painted = time.monotonic() - t0
        met = {m["name"]: m["value"] for m in call("Performance.getMetrics", None, s)["metrics"]}
        rows.append((loaded, painted, met.get("TaskDuration", 0), met.get("LayoutDuration", 0) + met.get("RecalcStyleDuration", 0), v["result"]["value"]))
        call("Target.closeTarget", {"targetId": t})
    send("Browser.close")
    p.wait(timeout=30)
    med = [statistics.median(r[k] for r in rows) for k in range(4)]
    print("%.2f s, %.2f s, %.2f s, %.2f s | %d" % (med[0], med[1], med[2], med[3], rows[0][4]))

main(sys.argv[1], int(sys.argv[2]))
EOF

echo "| capture | tcplab | report | write: wall, user CPU, peak RSS | Chromium: load event, painted, main-thread task, layout+style (median of $RUNS) | elements |"
echo "|---|---|---:|---|---|---:|"
for cap in "${captures[@]}"; do
	for bin in "$TCPLAB" ${BEFORE:+"$BEFORE"}; do
		name=$(basename "$cap").$(basename "$bin")
		html=$OUT/$name.html
		/usr/bin/time -f "%e %U %M" -o "$OUT/$name.time" "$bin" analyze --no-conv --html "$html" "$cap" >/dev/null 2>"$OUT/$name.err" || { echo "report.sh: $bin on $cap failed: $(tail -1 "$OUT/$name.err")" >&2; continue; }
		read -r wall user rss <"$OUT/$name.time"
		open=$(python3 "$OUT/open.py" "$html" "$RUNS")
		printf '| %s | %s | %s MB | %s s, %s s, %s MB | %s |\n' "$(basename "$cap")" "$bin" \
			"$(python3 -c "import os,sys; print(round(os.path.getsize(sys.argv[1])/1e6, 2))" "$html")" \
			"$wall" "$user" "$((rss / 1024))" "$open"
	done
done
rm -rf "$OUT"
