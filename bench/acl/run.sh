#!/usr/bin/env bash
# Benchmark of the bulk object ACL reset against what a responder would
# otherwise do, in the same run, on the same local S3 server (kumo, which
# stores object ACLs; versitygw has none):
#
#   ours     s3responder act s3.reset-object-acls --bucket B --confirm B
#            (plan: listing and a sample; apply: every object's ACL read,
#            journalled in batches of 500, set; then every object re-read
#            to verify)
#   cli      aws s3api list-objects-v2 ... | while read key; do
#              aws s3api put-object-acl --bucket B --key "$key" --acl private; done
#            (the Debian package's AWS CLI v2, /usr/bin/aws, with --endpoint-url)
#   ceiling  the server's own ceiling: one PutObjectAcl per object from a
#            Go client, CONC in flight, nothing read or recorded
#   pair     the same with a GetObjectAcl before each PutObjectAcl: the
#            least any reset that keeps every object's ACL for undo must do
#
# Each of them works on its own bucket of N objects whose ACLs grant
# READ to AllUsers, and each bucket is checked afterwards (every object
# owner-only). It prints objects per second of each, the ratio ours/cli
# and the ratio ceiling/ours. Environment:
#   N=10000        objects per bucket
#   SAMPLE=300     keys the CLI loop is timed on; its rate is extrapolated
#                  to N (a full loop of 10,000 CLI processes takes most of
#                  an hour on two cores); SAMPLE=N runs it over all of them
#   CONC=64        calls in flight, for ours and for the ceiling
#   S3RESPONDER=F  time this binary instead of building one from the repo
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
N=${N:-10000}
SAMPLE=${SAMPLE:-300}
CONC=${CONC:-64}
AWS=/usr/bin/aws
work=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then
		exec 3>&- || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

for tool in jq; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done
[ -x "$AWS" ] || { echo "run.sh: $AWS is required (Debian package awscli)" >&2; exit 1; }
[ "$SAMPLE" -le "$N" ] || SAMPLE=$N

echo "building the helper and s3responder..."
(cd "$repo" && go build -o "$work/tool" ./bench/acl/tool)
bin=${S3RESPONDER:-}
if [ -z "$bin" ]; then
	(cd "$repo" && go build -o "$work/s3responder" .)
	bin=$work/s3responder
fi

# The server runs until its stdin (fd 3 here) is closed.
mkfifo "$work/server.in"
"$work/tool" serve <"$work/server.in" >"$work/server.url" &
server_pid=$!
exec 3>"$work/server.in"
for _ in $(seq 50); do
	[ -s "$work/server.url" ] && break
	sleep 0.1
done
endpoint=$(head -n1 "$work/server.url")
[ -n "$endpoint" ] || { echo "run.sh: the server did not start" >&2; exit 1; }
echo "server: kumo at $endpoint"

export AWS_ACCESS_KEY_ID=AKIAEXAMPLEKEY000001 AWS_SECRET_ACCESS_KEY=fakesecretfakesecretfakesecret
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
export AWS_CONFIG_FILE=$work/none AWS_SHARED_CREDENTIALS_FILE=$work/none
export AWS_ENDPOINT_URL=$endpoint

echo "seeding three buckets of $N public objects..."
for b in ours cli ceiling pair; do
	"$work/tool" seed -endpoint "$endpoint" -bucket "bench-$b" -n "$N" -c 32
done

now() { date +%s.%N; }

# ours
db=$work/incidents.db
inc=$("$bin" --db "$db" incident new --title "ACL benchmark" 2>/dev/null | awk '{w=$NF} END {print w}')
t0=$(now)
"$bin" --db "$db" act s3.reset-object-acls --incident "$inc" --bucket bench-ours --concurrency "$CONC" \
	--confirm bench-ours >"$work/ours.out" 2>"$work/ours.err"
t1=$(now)
ours_s=$(echo "$t1 - $t0" | bc -l)
change=$(tail -n1 "$work/ours.out")
"$bin" --db "$db" act journal "$inc" --json >"$work/journal.json"
status=$(jq -r --arg c "$change" '.[] | select(.plan.id == $c) | "\(.status), verified=\(.verified), \(.bulk.applied) applied in \(.bulk.batches) batches"' "$work/journal.json")
# Phase times from the timeline: confirmed -> carried out -> verified.
"$bin" --db "$db" timeline "$inc" --json >"$work/timeline.json"
phase() {
	jq -r --arg p "Change $change $1" 'map(select(.text | startswith($p))) | .[0].recordedAt' "$work/timeline.json" |
		python3 -c 'import sys,datetime; s=sys.stdin.read().strip(); print(datetime.datetime.fromisoformat(s.replace("Z","+00:00")).timestamp())'
}
t_conf=$(phase confirmed)
t_done=$(phase "carried out")
t_ver=$(phase verified)
apply_s=$(echo "$t_done - $t_conf" | bc -l)
verify_s=$(echo "$t_ver - $t_done" | bc -l)

# cli: the loop a responder would write, timed on SAMPLE keys
t0=$(now)
"$AWS" --endpoint-url "$endpoint" s3api list-objects-v2 --bucket bench-cli --query 'Contents[].[Key]' --output text >"$work/cli.keys"
head -n "$SAMPLE" "$work/cli.keys" | while IFS= read -r key; do
	"$AWS" --endpoint-url "$endpoint" s3api put-object-acl --bucket bench-cli --key "$key" --acl private
done
t1=$(now)
cli_sample_s=$(echo "$t1 - $t0" | bc -l)

# ceiling
ceiling_line=$("$work/tool" ceiling -endpoint "$endpoint" -bucket bench-ceiling -c "$CONC")
ceiling_rate=$(sed -n 's/.*perSecond=\([0-9.]*\).*/\1/p' <<<"$ceiling_line")
pair_line=$("$work/tool" ceiling -endpoint "$endpoint" -bucket bench-pair -c "$CONC" -read)
pair_rate=$(sed -n 's/.*perSecond=\([0-9.]*\).*/\1/p' <<<"$pair_line")

check_ours=$("$work/tool" check -endpoint "$endpoint" -bucket bench-ours)
check_cli=$("$work/tool" check -endpoint "$endpoint" -bucket bench-cli)
check_ceiling=$("$work/tool" check -endpoint "$endpoint" -bucket bench-ceiling)
check_pair=$("$work/tool" check -endpoint "$endpoint" -bucket bench-pair)

ours_rate=$(echo "$N / $ours_s" | bc -l)
cli_rate=$(echo "$SAMPLE / $cli_sample_s" | bc -l)
cli_full_s=$(echo "$N / $cli_rate" | bc -l)

printf '\nobject ACL reset of %d objects on kumo, %d calls in flight (2 cores)\n' "$N" "$CONC"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' ours "$ours_s" "$ours_rate" "(whole command: plan, apply, verify; $status)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' "  apply" "$apply_s" "$(echo "$N / $apply_s" | bc -l)" "(read, journal, PutObjectAcl: 2 calls an object)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' "  verify" "$verify_s" "$(echo "$N / $verify_s" | bc -l)" "(every object re-read)"
printf '  %-9s %9.1f s  %8.1f objects/s  %s\n' cli "$cli_full_s" "$cli_rate" "(timed on $SAMPLE keys: ${cli_sample_s}s; extrapolated to $N)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' ceiling "$(echo "$N / $ceiling_rate" | bc -l)" "$ceiling_rate" "(PutObjectAcl only)"
printf '  %-9s %9.1f s  %8.0f objects/s  %s\n' pair "$(echo "$N / $pair_rate" | bc -l)" "$pair_rate" "(GetObjectAcl + PutObjectAcl)"
printf '  checks: ours %s; cli %s (first %d keys done); ceiling %s; pair %s\n' "$check_ours" "$check_cli" "$SAMPLE" "$check_ceiling" "$check_pair"
printf '  ours/cli = %.0fx (whole command)\n' "$(echo "$ours_rate / $cli_rate" | bc -l)"
printf '  ceiling/ours = %.2fx whole command, %.2fx apply phase; pair/ours-apply = %.2fx\n' \
	"$(echo "$ceiling_rate / $ours_rate" | bc -l)" "$(echo "$ceiling_rate * $apply_s / $N" | bc -l)" "$(echo "$pair_rate * $apply_s / $N" | bc -l)"
