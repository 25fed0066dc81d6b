#!/usr/bin/env bash
# Runs one cargo-fuzz target of clipvg for a bounded time from its checked-in seed corpus, with
# its dictionary and input-size cap. Used by .ci/run and for local runs (see README.md).
#
#   tests/fuzz/run.sh TARGET SECONDS [more libFuzzer flags...]
#
# New inputs go to tests/fuzz/corpus-run/TARGET (ignored by git; kept between local runs), the
# checked-in seeds are only read. A crash, OOM or timeout writes tests/fuzz/artifacts/TARGET/…
# and exits non-zero. CARGO_TARGET_DIR is honoured (default: tests/fuzz/target).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${1:?usage: run.sh TARGET SECONDS [libFuzzer flags]}
seconds=${2:?usage: run.sh TARGET SECONDS [libFuzzer flags]}
shift 2

case "$target" in
    roundtrip)    dict=svg.dict;  max_len=16384 ;;
    path_data)    dict=path.dict; max_len=4096 ;;
    style_sheet)  dict=css.dict;  max_len=4096 ;;
    request_json) dict=json.dict; max_len=4096 ;;
    *) echo "unknown fuzz target $target (roundtrip, path_data, style_sheet, request_json)" >&2; exit 2 ;;
esac

mkdir -p "$here/corpus-run/$target"
cd "$root"
# -max_len: the known size-driven classes (deep nesting, long `z` runs, huge CSS) need far more
# than this; the document stage's limits are tested by ordinary tests, the fuzzer looks for the rest.
# --debug-assertions: overflow checks and debug_assert! (e.g. overlapping write-back splices) on.
# -timeout: one input taking more than 10 s is a hang (a finding), not a slow machine.
exec cargo +nightly fuzz run --debug-assertions --fuzz-dir tests/fuzz "$target" \
    "tests/fuzz/corpus-run/$target" "tests/fuzz/corpus/$target" -- \
    -dict="tests/fuzz/dict/$dict" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
    -max_total_time="$seconds" -print_final_stats=1 "$@"
