#!/usr/bin/env bash
# The performance suite of charmtrace (issue 9), in one command:
#
#   bash .ci/perf.sh
#
# It builds the example charm, the fake Juju and the drivers under internal/perf/cmd into a
# temporary directory, runs the packages' micro-benchmarks (go test -bench) and the
# process-level measurements (hyperfine, /usr/bin/time -v, strace), and writes
# internal/perf/REPORT.md. Tools it lacks (hyperfine, GNU time, strace) are installed with
# apt-get. It waits for the machine to be quiet (1-minute load average below
# PERF_MAX_LOAD) for up to PERF_WAIT_MIN minutes, then measures anyway, and says so.
#
# Settings (environment):
#   PERF_RUNS      runs per process-level variant, paired on/off (default 20, at least 20)
#   PERF_COUNT     go test -count for the micro-benchmarks (default 6)
#   PERF_MAX_LOAD  load average to wait for (default 1.0)
#   PERF_WAIT_MIN  minutes to wait for it (default 30; 0 to start at once)
#   PERF_OUT       report path (default internal/perf/REPORT.md)
#   PERF_KEEP=1    keep the work directory (binaries, units, raw results)
#   PERF_QUICK=1   a smoke run: fewer runs, short benchmarks (numbers not for the report)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUNS=${PERF_RUNS:-20}
COUNT=${PERF_COUNT:-6}
BENCHTIME=${PERF_BENCHTIME:-}
MAX_LOAD=${PERF_MAX_LOAD:-1.0}
WAIT_MIN=${PERF_WAIT_MIN:-30}
OUT=${PERF_OUT:-internal/perf/REPORT.md}
if [[ -n "${PERF_QUICK:-}" ]]; then
	RUNS=4 COUNT=1 BENCHTIME=100ms WAIT_MIN=0
elif ((RUNS < 20)); then
	echo "perf: PERF_RUNS=$RUNS: the report needs at least 20 runs per variant" >&2
	exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/charmtrace-perf.XXXXXX")
BIN=$WORK/bin
RES=$WORK/results
mkdir -p "$BIN" "$RES"/{bench,p1,growth,drain,p5,profile}
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n "${PERF_KEEP:-}" ]]; then
		echo "perf: work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s perf: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# phase NAME: log the start of a measurement and the load average it starts under.
phase() {
	log "$* (load $(load1))"
	echo "$(load1) $*" >>"$RES/load-phases.txt"
}

# --- tools ----------------------------------------------------------------------

ensure_tools() {
	local missing=()
	command -v hyperfine >/dev/null || missing+=(hyperfine)
	[[ -x /usr/bin/time ]] || missing+=(time)
	command -v strace >/dev/null || missing+=(strace)
	command -v go >/dev/null || { echo "perf: the go command is needed" >&2; exit 1; }
	((${#missing[@]} == 0)) && return
	log "installing ${missing[*]} with apt-get"
	local sudo=()
	((EUID == 0)) || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

load1() { cut -d' ' -f1 /proc/loadavg; }

wait_for_quiet() {
	local deadline=$((SECONDS + WAIT_MIN * 60))
	while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
		if ((SECONDS >= deadline)); then
			log "load average $(load1) still >= $MAX_LOAD after ${WAIT_MIN} min; measuring anyway"
			return
		fi
		log "load average $(load1) >= $MAX_LOAD; waiting (until $(date -d "@$(($(date +%s) + deadline - SECONDS))" +%H:%M))"
		sleep 30
	done
}

# --- the machine ----------------------------------------------------------------

machine() {
	{
		echo "cpu_model: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
		echo "cores: $(nproc)"
		echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
		echo "kernel: $(uname -r)"
		echo "go: $(go env GOVERSION)"
		echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
		echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
		echo "runs: $RUNS"
		echo "count: $COUNT"
		[[ -n "${PERF_QUICK:-}" ]] && echo "quick: yes"
		echo "filesystem: $(df -T "$WORK" | awk 'NR==2 {print $2 " on " $1}')"
	} >"$RES/machine.txt"
}

build() {
	log "building into $BIN"
	CGO_ENABLED=0 go build -o "$BIN/" ./examples/charm ./internal/fakejuju/cmd/fakejuju \
		./internal/perf/cmd/spancharm ./internal/perf/cmd/drain ./internal/perf/cmd/floor ./internal/perf/cmd/emptyproc \
		./internal/perf/cmd/coldparts ./internal/perf/cmd/perfkit
	META=$ROOT/examples/charm/charmcraft.yaml
	PK=$BIN/perfkit
}

# --- micro-benchmarks -----------------------------------------------------------

# gobench NAME PACKAGE PATTERN [BENCHTIME]: the package's benchmarks, COUNT times. The
# test binary is built once and run COUNT times rather than with -count: -count repeats
# each sub-benchmark back to back, while one run per invocation keeps the variants of
# a benchmark (floor and exporter, buffered and stock) next to each other, which is
# what pairs them.
gobench() {
	local name=$1 pkg=$2 pattern=$3 bt=${4:-$BENCHTIME} i
	phase "go test -bench '$pattern' $pkg, $COUNT runs"
	go test -c -o "$BIN/$name.test" "$pkg"
	: >"$RES/bench/$name.txt"
	for ((i = 0; i < COUNT; i++)); do
		(cd "$pkg" && "$BIN/$name.test" -test.run '^$' -test.bench "$pattern" -test.benchmem ${bt:+-test.benchtime "$bt"}) \
			>>"$RES/bench/$name.txt"
	done
}

micro() {
	gobench exporter ./exporter 'BenchmarkExportSpans|BenchmarkDrain|BenchmarkPipelineCPU'
	gobench buffer ./buffer 'BenchmarkPush|BenchmarkOpenFreshProcess'
	gobench charmhooks ./charmhooks 'BenchmarkRunner'
	gobench state ./state 'BenchmarkDispatch'
	gobench perf-dispatch ./internal/perf 'BenchmarkDispatch' "${BENCHTIME:-200x}"
	gobench perf-shutdown ./internal/perf 'BenchmarkShutdownBlackhole' "${PERF_QUICK:+2x}"
}

# --- units and receivers --------------------------------------------------------

# unit DIR CHARM: a leader unit of CHARM on the fake Juju, its buffer created by a first
# dispatch.
unit() {
	"$PK" unit -dir "$1" -charm "$2" -fakejuju "$BIN/fakejuju" -meta "$META"
	"$PK" dispatch -dir "$1" -hook install >/dev/null
}

# serve NAME KIND [-tls]: a receiver in the background; sets URL_<NAME> and CA_<NAME>.
serve() {
	local name=$1 dir=$WORK/recv-$1
	mkdir -p "$dir"
	"$PK" serve -kind "$2" ${3:-} -out "$dir" &
	PIDS+=($!)
	local i
	for i in $(seq 100); do
		[[ -s $dir/url ]] && break
		sleep 0.1
	done
	[[ -s $dir/url ]] || { echo "perf: receiver $name did not start" >&2; exit 1; }
	printf -v "URL_$name" '%s' "$(cat "$dir/url")"
	printf -v "CA_$name" '%s' "$([[ -f $dir/ca.pem ]] && echo "$dir/ca.pem")"
}

# pairs N: the on/off parameter list of N pairs, in ABBA order so that a drift in
# machine load falls on both sides alike.
pairs() {
	local i out=()
	for ((i = 0; i < $1; i++)); do
		if ((i % 2 == 0)); then out+=(1 0); else out+=(0 1); fi
	done
	local IFS=,
	echo "${out[*]}"
}

# paired ID DIR HOOK [K=V...]: dispatches of HOOK on the unit in DIR, tracing off and
# on in turn: wall time by hyperfine, peak RSS by /usr/bin/time -v, RUNS pairs each.
paired() {
	local id=$1 dir=$2 hook=$3
	shift 3
	local envl kv extra=()
	envl=$("$PK" env -dir "$dir" -hook "$hook")
	for kv in "$@"; do extra+=(-env "$kv"); done
	local cmd="env -i $envl $* CHARMTRACE_DISABLE={d} $dir/charm/dispatch"
	local out=$RES/$SECTION/$id
	# Warm-up, unmeasured: page cache, and the buffer as a dispatch leaves it.
	"$PK" dispatch -dir "$dir" -hook "$hook" -n 2 -disable "${extra[@]}" >/dev/null
	"$PK" dispatch -dir "$dir" -hook "$hook" -n 2 "${extra[@]}" >/dev/null
	hyperfine -N --style none --runs 1 -L d "$(pairs "$RUNS")" --export-json "$out.json" "$cmd" >/dev/null
	local i d
	for ((i = 0; i < RUNS; i++)); do
		for d in $( ((i % 2 == 0)) && echo 1 0 || echo 0 1); do
			/usr/bin/time -v -a -o "$out-rss-$d.txt" env -i $envl "$@" CHARMTRACE_DISABLE=$d "$dir/charm/dispatch" >/dev/null 2>&1
		done
	done
	"$PK" dispatch -dir "$dir" -hook "$hook" -disable "${extra[@]}" >"$out-calls-off.json"
	"$PK" dispatch -dir "$dir" -hook "$hook" "${extra[@]}" >"$out-calls-on.json"
}

# --- P1 and its growth ------------------------------------------------------------

p1() {
	SECTION=p1
	phase "P1: example charm, hook tools as fakejuju processes"
	unit "$WORK/u-example" "$BIN/charm"
	paired example "$WORK/u-example" update-status
	echo -e "example\texample charm, hook tools as processes\t0\t1\texec" >>"$RES/p1/scenarios.tsv"

	phase "P1: the same handlers with the hook tools answered in process"
	unit "$WORK/u-inproc" "$BIN/spancharm"
	paired inproc "$WORK/u-inproc" update-status PERF_TOOLS=inprocess PERF_SPANS=1
	echo -e "inproc\tsame handlers, hook tools in process\t0\t1\tinprocess" >>"$RES/p1/scenarios.tsv"

	# Hook tools as processes again, but without the jhack line (tracing.WithoutJhackLine):
	# tracing on and off make the same calls, so the difference is tracing's own time,
	# including what its background work (the buffer's open) costs the tool processes
	# running beside it.
	phase "P1: the same handlers, hook tools as processes, the same calls on and off"
	unit "$WORK/u-exec" "$BIN/spancharm"
	paired exec "$WORK/u-exec" update-status PERF_TOOLS=exec PERF_JHACK=0 PERF_SPANS=1
	echo -e "exec\tsame handlers, hook tools as processes, no jhack line: the same calls on and off\t0\t1\texec" >>"$RES/p1/scenarios.tsv"

	# What one fakejuju hook-tool process costs, to set the tool calls apart: started
	# directly, with the hook environment, as the charm's exec runner starts it.
	local envl
	envl=$("$PK" env -dir "$WORK/u-example" -hook update-status)
	(
		export $envl
		hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$RES/p1/toolcall.json" \
			"relation-ids charm-tracing --format=json" >/dev/null
	)
}

growth() {
	SECTION=growth
	local mib spans
	for mib in 0 4 40; do
		phase "growth: backlog $mib MiB"
		unit "$WORK/u-g$mib" "$BIN/spancharm"
		"$PK" fill -buffer "$WORK/u-g$mib/charm/.tracing-data.db" -bytes $((mib << 20)) -spans 100 >"$RES/growth/fill-$mib.json"
		for spans in 10 100 1000; do
			paired "b$mib-s$spans" "$WORK/u-g$mib" update-status PERF_TOOLS=inprocess PERF_SPANS=$spans
			echo -e "b$mib-s$spans\tbacklog $mib MiB, $spans spans\t$mib\t$spans\tinprocess" >>"$RES/growth/scenarios.tsv"
		done
	done
}

# --- floors ---------------------------------------------------------------------

floors() {
	phase "floors"
	local db=$WORK/floor.db db2=$WORK/floor2.db
	"$BIN/floor" sqlite-create "$db"
	"$BIN/floor" sqlite-create "$db2"
	hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$RES/floors.json" \
		-n empty-go-process "$BIN/emptyproc" \
		-n linked-noop "$BIN/floor noop" \
		-n sqlite-open-existing-wal "$BIN/floor sqlite-open $db" \
		-n sqlite-write-one-row "$BIN/floor sqlite-write $db" \
		-n sqlite-write-keep-wal "$BIN/floor sqlite-write-keep $db2" \
		-n post-http-first "$BIN/floor post $URL_plain/v1/traces" \
		-n post-tls-first "$BIN/floor post $URL_tls/v1/traces $CA_tls" >/dev/null
	local create=$WORK/floor-create.db
	hyperfine -N --style none --warmup 1 --runs "$RUNS" --prepare "rm -f $create $create-wal $create-shm" \
		--export-json "$RES/floors-create.json" -n sqlite-create-wal "$BIN/floor sqlite-create $create" >/dev/null
}

# --- P4 and P6: drains ----------------------------------------------------------

drains() {
	local mib spans tls tmpl url ca i
	for mib in 4 40; do
		for spans in 10 100 1000; do
			tmpl=$WORK/tmpl-b$mib-s$spans.db
			"$PK" fill -buffer "$tmpl" -bytes $((mib << 20)) -spans "$spans" >"$RES/drain/fill-b$mib-s$spans.json"
			for tls in plain tls; do
				local id=$tls-b$mib-s$spans
				phase "drain: $id"
				url=URL_$tls ca=CA_$tls
				for ((i = 0; i < RUNS; i++)); do
					rm -f "$WORK/drain.db" "$WORK/drain.db-wal" "$WORK/drain.db-shm"
					cp "$tmpl" "$WORK/drain.db"
					/usr/bin/time -v -a -o "$RES/drain/$id-rss.txt" "$BIN/drain" -buffer "$WORK/drain.db" \
						-url "${!url}/v1/traces" ${!ca:+-ca "${!ca}"} >>"$RES/drain/$id.jsonl"
				done
			done
		done
	done
	# A dispatch's own rows: one row, nothing behind it.
	for spans in 10 100 1000; do
		tmpl=$WORK/tmpl-row-s$spans.db
		"$PK" fill -buffer "$tmpl" -bytes 1 -spans "$spans" >"$RES/drain/fill-b0-s$spans.json"
		for tls in plain tls; do
			url=URL_$tls ca=CA_$tls
			for ((i = 0; i < RUNS; i++)); do
				rm -f "$WORK/drain.db" "$WORK/drain.db-wal" "$WORK/drain.db-shm"
				cp "$tmpl" "$WORK/drain.db"
				/usr/bin/time -v -a -o "$RES/drain/$tls-b0-s$spans-rss.txt" "$BIN/drain" -buffer "$WORK/drain.db" \
					-url "${!url}/v1/traces" ${!ca:+-ca "${!ca}"} >>"$RES/drain/$tls-b0-s$spans.jsonl"
			done
		done
	done
}

# --- P5: shutdown against a blackhole --------------------------------------------

p5() {
	local tls url ca dir i envl
	for tls in plain tls; do
		url=URL_hole_$tls ca=CA_hole_$tls
		phase "P5: drain driver, blackhole ($tls), budget 1s"
		local tmpl=$WORK/tmpl-row-s100.db
		for ((i = 0; i < RUNS; i++)); do
			rm -f "$WORK/drain.db" "$WORK/drain.db-wal" "$WORK/drain.db-shm"
			cp "$tmpl" "$WORK/drain.db"
			"$BIN/drain" -buffer "$WORK/drain.db" -budget 1s -url "${!url}/v1/traces" ${!ca:+-ca "${!ca}"} >>"$RES/p5/drain-$tls.jsonl"
		done

		phase "P5: dispatch related to a blackhole ($tls), budget 1s"
		dir=$WORK/u-hole-$tls
		"$PK" unit -dir "$dir" -charm "$BIN/spancharm" -fakejuju "$BIN/fakejuju" -meta "$META"
		"$PK" relate -dir "$dir" -url "${!url}" ${!ca:+-ca "${!ca}"}
		envl=$("$PK" env -dir "$dir" -hook update-status)
		# A fresh buffer for every run: the back-off window a blackhole leaves would
		# otherwise keep the next dispatch off the network.
		hyperfine -N --style none --runs "$RUNS" --prepare "rm -f $dir/charm/.tracing-data.db $dir/charm/.tracing-data.db-wal $dir/charm/.tracing-data.db-shm" \
			--export-json "$RES/p5/dispatch-$tls-1000.json" "env -i $envl PERF_TOOLS=inprocess PERF_BUDGET=1s $dir/charm/dispatch" >/dev/null
	done
	phase "P5: example charm related to a blackhole (https), default budget (5s)"
	dir=$WORK/u-hole-example
	"$PK" unit -dir "$dir" -charm "$BIN/charm" -fakejuju "$BIN/fakejuju" -meta "$META"
	"$PK" relate -dir "$dir" -url "$URL_hole_tls" -ca "$CA_hole_tls"
	envl=$("$PK" env -dir "$dir" -hook update-status)
	hyperfine -N --style none --runs "$RUNS" --prepare "rm -f $dir/charm/.tracing-data.db $dir/charm/.tracing-data.db-wal $dir/charm/.tracing-data.db-shm" \
		--export-json "$RES/p5/example-tls-5000.json" "env -i $envl $dir/charm/dispatch" >/dev/null
}

# --- P8, P9, profiles -----------------------------------------------------------

counts() {
	phase "P8 and P9"
	"$PK" p8 -dir "$WORK/u-example" >"$RES/p8.json"
	"$PK" p9 -dir "$WORK/u-p9" -charm "$BIN/charm" -fakejuju "$BIN/fakejuju" -meta "$META" >"$RES/p9.json"
}

profiles() {
	phase "profiles"
	local i
	for ((i = 0; i < RUNS; i++)); do
		# The buffer as a dispatch finds it: the main file and the log the last one kept.
		rm -f "$WORK/cold.db" "$WORK/cold.db-wal" "$WORK/cold.db-shm"
		cp "$WORK/u-inproc/charm/.tracing-data.db" "$WORK/cold.db"
		if [[ -f $WORK/u-inproc/charm/.tracing-data.db-wal ]]; then
			cp "$WORK/u-inproc/charm/.tracing-data.db-wal" "$WORK/cold.db-wal"
		fi
		"$BIN/coldparts" -buffer "$WORK/cold.db" -spans 10 >>"$RES/profile/coldparts.jsonl"
	done
	local envl
	envl=$("$PK" env -dir "$WORK/u-example" -hook update-status)
	for ((i = 0; i < 5; i++)); do
		env -i $envl GODEBUG=inittrace=1 CHARMTRACE_DISABLE=1 "$WORK/u-example/charm/dispatch" 2>>"$RES/profile/inittrace.txt" >/dev/null
	done
	local bt=1000x
	[[ -z "${PERF_QUICK:-}" ]] || bt=20x
	go test -run '^$' -bench 'BenchmarkDispatch/backlog=0MiB/spans=1$' -benchtime "$bt" \
		-cpuprofile "$RES/profile/dispatch.pprof" -o "$RES/profile/perf.test" ./internal/perf/ >/dev/null
	go tool pprof -top -cum -nodecount=400 "$RES/profile/perf.test" "$RES/profile/dispatch.pprof" \
		>"$RES/profile/dispatch-top.txt" 2>/dev/null
}

# --- main -----------------------------------------------------------------------

ensure_tools
build
wait_for_quiet
echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)" >"$RES/load.txt"
machine
serve plain discard
serve tls discard -tls
serve hole_plain blackhole
serve hole_tls blackhole -tls
log "results in $RES"

micro
floors
p1
growth
drains
p5
counts
profiles

echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES/load.txt"
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
PIDS=()
"$PK" report -results "$RES" -out "$OUT"
log "wrote $OUT"
