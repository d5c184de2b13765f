#!/usr/bin/env bash
# Benchmark of "s3responder trail analyze" on a generated CloudTrail data set,
# against what responders use today and against the decompression floor, in
# the same run on the same files:
#
#   ours   s3responder trail analyze DIR --access-key K --json
#   jq     zcat FILES | jq (the S3 data events of access key K)
#   floor  zcat FILES > /dev/null
#
# It prints the times (best of RUNS), peak memory, both ratios and the event
# counts (which must agree). Environment:
#   MB=1100        uncompressed size of the data set to generate
#   RUNS=3         timed runs of each command; the fastest counts (the
#                  machine may be shared, the fastest run is the least disturbed)
#   DATA=DIR       reuse (or keep) the data set in DIR instead of a temp dir
#   S3RESPONDER=F  time this binary instead of building one from the repo
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
MB=${MB:-1100}
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in jq zcat; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "run.sh: GNU time is required (Debian package: time)" >&2; exit 1; }

bin=${S3RESPONDER:-}
if [ -z "$bin" ]; then
	echo "building s3responder..."
	(cd "$repo" && go build -o "$work/s3responder" .)
	bin=$work/s3responder
fi
if ! "$bin" trail analyze --help >/dev/null 2>&1; then
	echo "run.sh: $bin has no 'trail analyze' command (is cli wired into main?); set S3RESPONDER" >&2
	exit 1
fi

data=${DATA:-$work/data}
if [ ! -d "$data/AWSLogs" ]; then
	echo "generating about $MB MB of CloudTrail logs in $data..."
	mkdir -p "$data"
	(cd "$repo" && go run ./bench/trail/gen -out "$data" -mb "$MB") | tee "$data/gen.txt"
fi
info=$(cat "$data/gen.txt")
key=$(sed -n 's/.*key=\([A-Z0-9]*\).*/\1/p' <<<"$info")
want=$(sed -n 's/.*keyRecords=\([0-9]*\).*/\1/p' <<<"$info")
find "$data/AWSLogs" -name '*.json.gz' | sort >"$work/files"
nfiles=$(wc -l <"$work/files")
gzbytes=$(xargs -a "$work/files" cat | wc -c)
rawbytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$info")
# Warm the page cache so every command reads from memory.
xargs -a "$work/files" cat >/dev/null

# timed NAME CMD...: runs CMD RUNS times under GNU time, keeps the fastest
# elapsed time and the largest peak RSS.
timed() {
	local name=$1
	shift
	local best="" rss=0
	for _ in $(seq "$RUNS"); do
		"$TIME" -f '%e %M' -o "$work/t" "$@"
		read -r secs kb <"$work/t"
		if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
		[ "$kb" -gt "$rss" ] && rss=$kb
	done
	printf '%s %s %s\n' "$name" "$best" "$rss" >>"$work/results"
	printf '  %-6s %7.2f s  peak RSS %6d MB\n' "$name" "$best" $((rss / 1024))
}

echo
echo "data: $nfiles files, $((gzbytes / 1000000)) MB gzip'd, $((rawbytes / 1000000)) MB uncompressed; key $key has $want events"
echo "machine: $(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
jqfilter='.Records[] | select(.userIdentity.accessKeyId == $k and .eventSource == "s3.amazonaws.com" and .eventCategory == "Data") | .eventID'
timed ours sh -c "'$bin' trail analyze '$data' --access-key '$key' --json >'$work/ours.json' 2>>'$work/stderr'"
timed jq sh -c "xargs -a '$work/files' zcat | jq -r --arg k '$key' '$jqfilter' >'$work/jq.txt'"
timed floor sh -c "xargs -a '$work/files' zcat >/dev/null"
timed all sh -c "'$bin' trail analyze '$data' --json >'$work/all.json' 2>>'$work/stderr'"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

ours_n=$(jq '[.principals[] | select(.accessKeyId == "'"$key"'") | .getObject] | add' "$work/ours.json")
jq_n=$(wc -l <"$work/jq.txt")
records=$(jq .records "$work/all.json")
echo
echo "events of $key: generator $want, analyze $ours_n, jq $jq_n; records read by analyze: $records"
if [ "$ours_n" != "$want" ] || [ "$jq_n" != "$want" ]; then
	echo "run.sh: the tools disagree on the events" >&2
	exit 1
fi
t() { awk -v n="$1" '$1 == n {print $2}' "$work/results"; }
awk -v ours="$(t ours)" -v jq="$(t jq)" -v floor="$(t floor)" -v raw="$rawbytes" 'BEGIN {
	printf "analyze is %.1fx faster than zcat | jq (target >= 5x)\n", jq / ours
	printf "analyze takes %.2fx the decompression floor (target <= 2x)\n", ours / floor
	printf "throughput: analyze %.0f MB/s, zcat %.0f MB/s, jq %.0f MB/s (uncompressed)\n", raw / ours / 1e6, raw / floor / 1e6, raw / jq / 1e6
}'
