#!/usr/bin/env bash
# distill score --all at scale (issue 19), through the CLI.
#
#   bench/score.sh [ROWS]        (default 100000; run from the repository root after make build)
#
# Two filters (sustainability_tech_deployment/v1, uplifting/v1), each with a
# linear student trained on the keywords oracle's labels of the articles of
# a generated training corpus (TRAIN_ROWS, default 40000, seed 7) that pass
# its prefilter, tagged production; the training corpus is scored once
# (not timed). Then ROWS new articles (seed 1) are ingested (not timed) and
# only `distill score --all` over them is timed with /usr/bin/time -v:
# articles/s end to end (the process's wall clock: plan, read, prefilter,
# compress, predict, write, commit) and peak RSS. Both corpora are
# bench/mixcorpus articles: real articles' sentences (the ai-tech sample and
# BBC under $DISTILL_SHARED), so each prefilter passes a realistic share.
# On a machine of more than 2 cores it runs again on 2 (taskset -c 0,1,
# GOMAXPROCS=2) on a copy of the same lake. Finally it reads back that each
# scores table holds every new article once.
set -euo pipefail

ROWS=${1:-100000}
TRAIN_ROWS=${TRAIN_ROWS:-40000}
DISTILL=${DISTILL:-$PWD/bin/distill}
SHARED=${DISTILL_SHARED:-$PWD/../shared}
WORK=${WORK:-$(mktemp -d -t distill-score-bench.XXXXXX)}
FILTERS=(sustainability_tech_deployment uplifting)
POOL=("$SHARED/corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz" "$SHARED/corpus/bbc-fulltext/bbc")
export DISTILL_SHARED=$SHARED

[ -x "$DISTILL" ] || { echo "no $DISTILL: run make build first" >&2; exit 1; }
mkdir -p "$WORK"
echo "work folder: $WORK" >&2
go run -tags duckdb_arrow ./bench/mixcorpus -n "$TRAIN_ROWS" -seed 7 -o "$WORK/train.jsonl" "${POOL[@]}"
go run -tags duckdb_arrow ./bench/mixcorpus -n "$ROWS" -seed 1 -o "$WORK/new.jsonl" "${POOL[@]}"

lk=$WORK/lake
"$DISTILL" init --lake "$lk" >/dev/null
"$DISTILL" --lake "$lk" ingest "$WORK/train.jsonl" >/dev/null
for f in "${FILTERS[@]}"; do
	dir=filters/$f/v1
	for stage in prefilter compress label split; do
		"$DISTILL" --lake "$lk" "$stage" --filter "$dir" >/dev/null
	done
	"$DISTILL" --lake "$lk" train --filter "$dir" >/dev/null
	model=$("$DISTILL" --lake "$lk" sql --format csv "SELECT id FROM $f.models ORDER BY trained_at DESC LIMIT 1" | tail -1)
	"$DISTILL" --lake "$lk" model tag production "$model" --filter "$dir" >/dev/null
	labels=$("$DISTILL" --lake "$lk" sql --format csv "SELECT count(*) FROM $f.labels" | tail -1)
	echo "$f: production model $model, trained on $labels keyword-labelled articles" >&2
done
"$DISTILL" --lake "$lk" score --all >/dev/null
"$DISTILL" --lake "$lk" ingest "$WORK/new.jsonl" >/dev/null
cp -r "$lk" "$WORK/lake-2cores"

# run LAKE LABEL [PREFIX...]: time distill score --all on LAKE and check it.
run() {
	local lake=$1 label=$2
	shift 2
	"$@" /usr/bin/time -v "$DISTILL" --lake "$lake" score --all --json >"$WORK/$label.json" 2>"$WORK/$label.time"
	local wall rss
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/$label.time" | awk -F: '{s=0; for (i=1; i<=NF; i++) s=s*60+$i; print s}')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/$label.time")
	awk -v n="$ROWS" -v w="$wall" -v r="$rss" -v l="$label" 'BEGIN {printf "%s: %d articles in %.2f s = %.0f articles/s end to end, peak RSS %.0f MiB\n", l, n, w, n/w, r/1024}'
	grep -E '"(rows_in|scored|rejected|articles_per_second)"' "$WORK/$label.json" | tr -d ' ,' | paste -sd' ' | sed "s/^/  $label: /"
	for f in "${FILTERS[@]}"; do
		local got
		got=$("$DISTILL" --lake "$lake" sql --format csv "SELECT count(*) || ' ' || count(DISTINCT id) FROM $f.scores WHERE id LIKE 'mix-1-%'" | tail -1)
		echo "  $f.scores: count(*) count(DISTINCT id) of the new articles = $got (want $ROWS $ROWS)"
		[ "$got" = "$ROWS $ROWS" ] || { echo "  MISMATCH" >&2; exit 1; }
	done
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
run "$lk" "all-$(nproc)-cores"
if [ "$(nproc)" -gt 2 ]; then
	run "$WORK/lake-2cores" "2-cores" env GOMAXPROCS=2 taskset -c 0,1
fi
echo "(ingest of the $ROWS articles not timed; work folder $WORK)"
