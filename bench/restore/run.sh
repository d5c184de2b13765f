#!/usr/bin/env bash
# Benchmark of restoring objects of a versioned bucket after an attack,
# against what a responder would otherwise do, in the same run, on the
# same local S3 server (versitygw, whose versioning, delete markers and
# CopyObject from a version id behave like S3's). In each bucket of N
# objects "the attacker" overwrote the even ones and deleted the odd ones.
#
#   ours     s3responder act s3.restore-version --bucket B --param since=T --confirm B
#            (plan: the bucket's versions listed and each key's version to
#            bring back fixed; apply: every object's content read (HEAD; a
#            deleted one from the listing, which plan and apply share when
#            they run together as here, else from a page listed for it),
#            journalled in batches of 500, the version copied over it; then
#            every object re-read (HEAD) to verify)
#   cli      aws s3api list-object-versions ... | jq ... | while read key version; do
#              aws s3api copy-object --bucket B --key "$key" --copy-source "B/$key?versionId=$version"; done
#            (the Debian package's AWS CLI v2, /usr/bin/aws, with --endpoint-url)
#   ceiling  the server's own ceiling: one listing of the bucket, then one
#            CopyObject per object from a Go client, CONC in flight,
#            nothing read or recorded
#   pair     the same with each key's history listed before its copy: the
#            least a restore that journals each object's state must do
#
# Every bucket is checked afterwards: each object read back and compared
# with its original bytes. It prints objects per second of each, the ratio
# ours/cli and the ratio ceiling/ours. Environment:
#   N=10000        objects per bucket
#   SAMPLE=300     keys the CLI loop is timed on; its rate is extrapolated
#                  to N; SAMPLE=N runs it over all of them
#   CONC=64        calls in flight, for ours and for the ceiling
#   S3RESPONDER=F  time this binary instead of building one from the repo
#   VERSITYGW=F    the versitygw binary (default: scripts/install-versitygw.sh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
N=${N:-10000}
SAMPLE=${SAMPLE:-300}
CONC=${CONC:-64}
AWS=/usr/bin/aws
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

for tool in jq bc; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
[ -x "$AWS" ] || { echo "run.sh: $AWS is required (Debian package awscli)" >&2; exit 1; }
[ "$SAMPLE" -le "$N" ] || SAMPLE=$N

echo "building the helper and s3responder..."
(cd "$repo" && go build -o "$work/tool" ./bench/restore/tool)
bin=${S3RESPONDER:-}
if [ -z "$bin" ]; then
	(cd "$repo" && go build -o "$work/s3responder" .)
	bin=$work/s3responder
fi
vgw=${VERSITYGW:-$(sh "$repo/scripts/install-versitygw.sh")}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "run.sh: nothing listens on port $1" >&2
	exit 1
}
root=benchroot secret=benchroot-secret-for-benchmarks
iam_port=$(free_port) s3_port=$(free_port)
mkdir -p "$work/vgw/iam" "$work/vgw/data" "$work/vgw/versions"
sock=$work/iam.sock
"$vgw" --access "$root" --secret "$secret" --port "127.0.0.1:$iam_port" --quiet iam --dir "$work/vgw/iam" --private-ports "$sock" >"$work/iam.log" 2>&1 &
pids+=($!)
wait_port "$iam_port"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
"$vgw" --access "$root" --secret "$secret" --port "127.0.0.1:$s3_port" --quiet --iam-standalone-endpoint "$sock" --iam-cache-disable \
	posix --versioning-dir "$work/vgw/versions" "$work/vgw/data" >"$work/s3.log" 2>&1 &
pids+=($!)
wait_port "$s3_port"
endpoint=http://127.0.0.1:$s3_port
echo "server: versitygw at $endpoint"

export AWS_ACCESS_KEY_ID=$root AWS_SECRET_ACCESS_KEY=$secret
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
export AWS_CONFIG_FILE=$work/none AWS_SHARED_CREDENTIALS_FILE=$work/none
export AWS_ENDPOINT_URL=$endpoint AWS_ENDPOINT_URL_IAM=http://127.0.0.1:$iam_port AWS_ENDPOINT_URL_STS=http://127.0.0.1:$iam_port

echo "seeding four versioned buckets of $N objects, then the attack (half overwritten, half deleted)..."
since=$("$work/tool" seed -endpoint "$endpoint" -buckets bench-ours,bench-cli,bench-ceiling,bench-pair -n "$N" -c 32)
echo "attack began at $since"

now() { date +%s.%N; }

# ours
db=$work/incidents.db
inc=$("$bin" --db "$db" incident new --title "Restore benchmark" 2>/dev/null | awk '{w=$NF} END {print w}')
t0=$(now)
"$bin" --db "$db" act s3.restore-version --incident "$inc" --bucket bench-ours --param "since=$since" --concurrency "$CONC" \
	--confirm bench-ours >"$work/ours.out" 2>"$work/ours.err"
t1=$(now)
ours_s=$(echo "$t1 - $t0" | bc -l)
change=$(tail -n1 "$work/ours.out")
"$bin" --db "$db" act journal "$inc" --json >"$work/journal.json"
status=$(jq -r --arg c "$change" '.[] | select(.plan.id == $c) | "\(.status), verified=\(.verified), \(.bulk.applied) applied in \(.bulk.batches) batches"' "$work/journal.json")
"$bin" --db "$db" timeline "$inc" --json >"$work/timeline.json"
stamp() {
	jq -r --arg p "$1" 'map(select(.text | startswith($p))) | .[0].recordedAt' "$work/timeline.json" |
		python3 -c 'import sys,datetime; s=sys.stdin.read().strip(); print(datetime.datetime.fromisoformat(s.replace("Z","+00:00")).timestamp())'
}
t_plan=$(stamp "Planned change $change")
t_conf=$(stamp "Change $change confirmed")
t_done=$(stamp "Change $change carried out")
t_ver=$(stamp "Change $change verified")
plan_s=$(echo "$t_plan - $t0" | bc -l)
apply_s=$(echo "$t_done - $t_conf" | bc -l)
verify_s=$(echo "$t_ver - $t_done" | bc -l)

# cli: what a responder would write, timed on SAMPLE keys
t0=$(now)
"$AWS" --endpoint-url "$endpoint" s3api list-object-versions --bucket bench-cli --output json >"$work/versions.json"
jq -r '.Versions[] | select(.IsLatest | not) | [.Key, .VersionId] | @tsv' "$work/versions.json" >"$work/cli.targets"
head -n "$SAMPLE" "$work/cli.targets" | while IFS=$'\t' read -r key version; do
	"$AWS" --endpoint-url "$endpoint" s3api copy-object --bucket bench-cli --key "$key" --copy-source "bench-cli/$key?versionId=$version" >/dev/null
done
t1=$(now)
cli_sample_s=$(echo "$t1 - $t0" | bc -l)

ceiling_line=$("$work/tool" ceiling -endpoint "$endpoint" -bucket bench-ceiling -c "$CONC")
ceiling_rate=$(sed -n 's/.*perSecond=\([0-9.]*\).*/\1/p' <<<"$ceiling_line")
pair_line=$("$work/tool" ceiling -endpoint "$endpoint" -bucket bench-pair -c "$CONC" -read)
pair_rate=$(sed -n 's/.*perSecond=\([0-9.]*\).*/\1/p' <<<"$pair_line")

check_ours=$("$work/tool" check -endpoint "$endpoint" -bucket bench-ours -n "$N")
check_cli=$("$work/tool" check -endpoint "$endpoint" -bucket bench-cli -n "$N")
check_ceiling=$("$work/tool" check -endpoint "$endpoint" -bucket bench-ceiling -n "$N")
check_pair=$("$work/tool" check -endpoint "$endpoint" -bucket bench-pair -n "$N")

ours_rate=$(echo "$N / $ours_s" | bc -l)
cli_rate=$(echo "$SAMPLE / $cli_sample_s" | bc -l)
cli_full_s=$(echo "$N / $cli_rate" | bc -l)

printf '\nrestore of %d objects (half overwritten, half deleted) on versitygw, %d calls in flight (%s cores)\n' "$N" "$CONC" "$(nproc)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' ours "$ours_s" "$ours_rate" "(whole command: plan, apply, verify; $status)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' "  plan" "$plan_s" "$(echo "$N / $plan_s" | bc -l)" "(every version listed, each key's target fixed)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' "  apply" "$apply_s" "$(echo "$N / $apply_s" | bc -l)" "(HEAD or listing, journal, CopyObject)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' "  verify" "$verify_s" "$(echo "$N / $verify_s" | bc -l)" "(every object re-read with HEAD)"
printf '  %-9s %9.1f s  %8.1f objects/s  %s\n' cli "$cli_full_s" "$cli_rate" "(timed on $SAMPLE keys: ${cli_sample_s}s; extrapolated to $N)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' ceiling "$(echo "$N / $ceiling_rate" | bc -l)" "$ceiling_rate" "(one listing, CopyObject only)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' pair "$(echo "$N / $pair_rate" | bc -l)" "$pair_rate" "(per-key listing + CopyObject)"
printf '  checks: ours %s; cli %s (first %d keys done); ceiling %s; pair %s\n' "$check_ours" "$check_cli" "$SAMPLE" "$check_ceiling" "$check_pair"
printf '  ours/cli = %.0fx (whole command)\n' "$(echo "$ours_rate / $cli_rate" | bc -l)"
printf '  ceiling/ours = %.2fx whole command, %.2fx apply phase; pair/ours-apply = %.2fx\n' \
	"$(echo "$ceiling_rate / $ours_rate" | bc -l)" "$(echo "$ceiling_rate * $apply_s / $N" | bc -l)" "$(echo "$pair_rate * $apply_s / $N" | bc -l)"
