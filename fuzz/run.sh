#!/usr/bin/env bash
# Scenario F1: build the libFuzzer targets and fuzz each for SECONDS.
#
#   fuzz/run.sh SECONDS            build (if anything changed), replay fuzz/crashes/, fuzz each target SECONDS
#   fuzz/run.sh build              only build
#   fuzz/run.sh repro TARGET FILE… run inputs through a target once (a saved crash, a corpus file)
#   fuzz/run.sh min TARGET FILE    minimize a crashing input (writes FILE.min)
#   fuzz/run.sh merge              fold inputs from fuzz/out/corpus that add coverage into fuzz/corpus (to commit)
#   fuzz/run.sh coverage           line coverage of Sources/ by the committed and scratch corpora (llvm-cov)
#
# Targets (see fuzz/README.md for what each checks):
#   rules        input = a rule file → RuleCompiler.compile, alone and with rules/*.yaml; compiled policies run
#   expressions  input = selector byte + expression, written into the reference rules → compile and run
#   applications input = a JSON application → Evaluator.evaluate/writeDecision/explanation, JSONMembers.spans
#   line         input = protocol request lines → Request.parse and every reply built from them (LineProtocol)
#
# Builds into fuzz/.build (git-ignored). Fuzzing reads the committed seeds in fuzz/corpus/TARGET but writes
# new inputs only to fuzz/out/corpus/TARGET and crashes to fuzz/out/crashes/TARGET (git-ignored).
# Exits non-zero on any crash, ASan report, timeout, OOM, broken invariant or still-failing reproducer in
# fuzz/crashes/TARGET, printing the input's path.
#
# Environment: FUZZ_TARGETS (default "rules expressions applications line"), FUZZ_JOBS (default 1: one target
# after the other; >1: all at once), FUZZ_OPT (-O or -Onone; default -O), FUZZ_ARGS (extra libFuzzer
# flags), FUZZ_IGNORE (invariants to skip while a known finding is being fixed; never in CI).
set -euo pipefail
shopt -s inherit_errexit

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$FUZZ_DIR")
SWIFTC=${SWIFTC:-swiftc}
OPT=${FUZZ_OPT:--O}
BUILD="$FUZZ_DIR/.build/${OPT#-}"
OUT="$FUZZ_DIR/out"
TARGETS=${FUZZ_TARGETS:-rules expressions applications line}
JOBS=${FUZZ_JOBS:-1}

export RISKGATE_ROOT="$ROOT"
export SWIFT_BACKTRACE=enable=no           # else the Swift backtracer hangs the run after a crash
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:symbolize=1}

max_len() { case $1 in rules) echo 65536 ;; expressions) echo 4096 ;; applications) echo 8192 ;; line) echo 4096 ;; *) echo 4096 ;; esac; }

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# ---------------------------------------------------------------------------------------------------------
# Build: each project module as a static library with fuzzer coverage + ASan, then one executable per target.
# Each step is skipped when the hash of its inputs (sources, flags, compiler) is unchanged.

set_flags() { # sanitizers extra-flags…
  local sanitize=$1; shift
  SWIFT_FLAGS=(-parse-as-library -swift-version 6 -enable-upcoming-feature ExistentialAny
               -enable-upcoming-feature MemberImportVisibility -sanitize="$sanitize" "$OPT" -g -use-ld=lld
               -I "$ROOT/Sources/CYAML" -I "$BUILD" "$@")
  [ "$OPT" = "-Onone" ] || SWIFT_FLAGS+=(-wmo)
}
set_flags fuzzer,address

step_hash() { # files… → hash of their contents, the flags and the compiler version
  { "$SWIFTC" --version 2>&1; printf '%s\n' "${SWIFT_FLAGS[@]}"; cat "$@"; } | sha256sum | cut -d' ' -f1
}

up_to_date() { # stamp-name hash
  [ -f "$BUILD/$1.stamp" ] && [ "$(cat "$BUILD/$1.stamp")" = "$2" ]
}

build_module() { # Module dependency-hash → prints its own hash
  # Compiles a snapshot of Sources/Module (others may be editing it while this runs).
  local module=$1 deps=$2 hash src="$BUILD/src/$1"
  rm -rf "$src" && mkdir -p "$src" && cp "$ROOT"/Sources/"$module"/*.swift "$src"/
  hash=$(printf '%s %s' "$deps" "$(step_hash "$src"/*.swift)" | sha256sum | cut -d' ' -f1)
  if ! up_to_date "$module" "$hash" || [ ! -f "$BUILD/lib$module.a" ]; then
    echo "fuzz: building $module ($OPT)" >&2
    local start=$SECONDS
    rm -f "$BUILD/$module.stamp"
    "$SWIFTC" "${SWIFT_FLAGS[@]}" -module-name "$module" -emit-module -emit-module-path "$BUILD/$module.swiftmodule" \
      -emit-library -static -o "$BUILD/lib$module.a" "$src"/*.swift >&2 || { echo "fuzz: building $module failed" >&2; return 1; }
    echo "$hash" > "$BUILD/$module.stamp"
    echo "fuzz: built $module in $((SECONDS - start)) s" >&2
  fi
  echo "$hash"
}

build_target() { # target dependency-hash
  local target=$1 deps=$2 hash
  hash=$(printf '%s %s' "$deps" "$(step_hash "$FUZZ_DIR"/Sources/Common/*.swift "$FUZZ_DIR"/Sources/"$target"/*.swift)" | sha256sum | cut -d' ' -f1)
  if ! up_to_date "fuzz-$target" "$hash" || [ ! -x "$BUILD/fuzz-$target" ]; then
    echo "fuzz: building fuzz-$target" >&2
    local start=$SECONDS
    rm -f "$BUILD/fuzz-$target.stamp"
    # In the build folder: linking an executable leaves module files in the working directory.
    (cd "$BUILD" && "$SWIFTC" "${SWIFT_FLAGS[@]}" -module-name "Fuzz_$target" -o "$BUILD/fuzz-$target" \
      "$FUZZ_DIR"/Sources/Common/*.swift "$FUZZ_DIR"/Sources/"$target"/*.swift \
      "$BUILD/libRuleEngine.a" "$BUILD/libRuleLanguage.a" "$BUILD/libLineProtocol.a" $(pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)) >&2 \
      || { echo "fuzz: building fuzz-$target failed" >&2; return 1; }
    echo "$hash" > "$BUILD/fuzz-$target.stamp"
    echo "fuzz: built fuzz-$target in $((SECONDS - start)) s" >&2
  fi
}

build() {
  mkdir -p "$BUILD"
  local start=$SECONDS language engine protocol target
  language=$(build_module RuleLanguage "")
  engine=$(build_module RuleEngine "$language")
  protocol=$(build_module LineProtocol "")
  for target in $TARGETS; do build_target "$target" "$engine $protocol"; done
  echo "fuzz: build done in $((SECONDS - start)) s"
}

# ---------------------------------------------------------------------------------------------------------

# Replays saved reproducers (fuzz/crashes/TARGET/*): each must now pass. Returns non-zero if any still fails.
replay_crashes() {
  local target=$1 dir="$FUZZ_DIR/crashes/$1" status=0 file log
  [ -d "$dir" ] || return 0
  for file in "$dir"/*; do
    [ -f "$file" ] || continue
    case $file in *.md|*.txt) continue ;; esac
    log="$OUT/logs/replay-$target-$(basename "$file").log"
    if ! "$BUILD/fuzz-$target" -runs=1 -timeout=25 -artifact_prefix="$OUT/" "$file" > "$log" 2>&1; then
      echo "fuzz: FAIL $target: saved reproducer still fails: ${file#"$ROOT"/} (log: $log)"
      grep -E 'ERROR: (AddressSanitizer|libFuzzer)|==FUZZ INVARIANT==|Fatal error' "$log" | head -3 | sed 's/^/  /'
      status=1
    fi
  done
  return $status
}

fuzz_one() { # target seconds → exit status of libFuzzer; log in out/logs/TARGET.log
  local target=$1 seconds=$2 log="$OUT/logs/$1.log"
  mkdir -p "$OUT/corpus/$target" "$OUT/crashes/$target"
  local args=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=25 -rss_limit_mb=2048
              -dict="$FUZZ_DIR/dict/$target.dict" -artifact_prefix="$OUT/crashes/$target/" -print_final_stats=1
              -reload=0 -detect_leaks=0)
  # shellcheck disable=SC2086
  "$BUILD/fuzz-$target" "${args[@]}" ${FUZZ_ARGS:-} "$OUT/corpus/$target" "$FUZZ_DIR/corpus/$target" > "$log" 2>&1
}

report() { # target status start
  local target=$1 status=$2 elapsed=$3 log="$OUT/logs/$1.log" stats
  stats=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1 || true)
  local execs rate
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    echo "fuzz: ok   $target: ${elapsed}s, ${execs:-?} execs (${rate:-?}/s); ${stats#*  }"
    return 0
  fi
  echo "fuzz: FAIL $target (libFuzzer exit $status) after ${elapsed}s — log: $log"
  grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|==FUZZ INVARIANT==|Fatal error|SUMMARY' "$log" | head -5 | sed 's/^/  /'
  grep -o 'Test unit written to .*' "$log" | sed 's/^Test unit written to /  crashing input: /' || true
  echo "  reproduce: fuzz/run.sh repro $target <crashing input>   minimize: fuzz/run.sh min $target <crashing input>"
  return 1
}

cmd=${1:-}
case $cmd in
  ""|-h|--help) usage ;;
  build) build ;;
  repro)
    [ $# -ge 3 ] || usage
    TARGETS=$2 build >&2
    target=$2; shift 2
    exec "$BUILD/fuzz-$target" -runs=1 -timeout=25 -artifact_prefix="$OUT/" "$@"
    ;;
  min)
    [ $# -eq 3 ] || usage
    TARGETS=$2 build >&2
    mkdir -p "$OUT"
    exec "$BUILD/fuzz-$2" -minimize_crash=1 -artifact_prefix="$OUT/" -max_total_time=60 -timeout=25 -exact_artifact_path="$3.min" "$3"
    ;;
  merge)
    build
    for target in $TARGETS; do
      mkdir -p "$OUT/corpus/$target" "$OUT/logs"
      before=$(ls "$FUZZ_DIR/corpus/$target" | wc -l)
      "$BUILD/fuzz-$target" -set_cover_merge=1 -timeout=25 -max_len="$(max_len "$target")" -artifact_prefix="$OUT/" \
        "$FUZZ_DIR/corpus/$target" "$OUT/corpus/$target" > "$OUT/logs/merge-$target.log" 2>&1 \
        || { echo "fuzz: merge of $target failed (log: $OUT/logs/merge-$target.log)"; exit 1; }
      echo "fuzz: $target: $before → $(ls "$FUZZ_DIR/corpus/$target" | wc -l) files in fuzz/corpus/$target"
    done
    ;;
  coverage)
    # A separate build with source-based coverage (no ASan, -Onone for exact lines); the corpora are replayed once.
    OPT=-Onone BUILD="$FUZZ_DIR/.build/coverage"
    set_flags fuzzer -profile-generate -profile-coverage-mapping
    build
    rm -rf "$OUT/coverage" && mkdir -p "$OUT/coverage"
    objects=()
    for target in $TARGETS; do
      mkdir -p "$OUT/corpus/$target"
      # A known finding in the scratch corpus stops the replay: skip its invariant with FUZZ_IGNORE.
      LLVM_PROFILE_FILE="$OUT/coverage/$target-%p.profraw" "$BUILD/fuzz-$target" -runs=0 -timeout=25 \
        -artifact_prefix="$OUT/coverage/" \
        -max_len="$(max_len "$target")" "$FUZZ_DIR/corpus/$target" "$OUT/corpus/$target" > "$OUT/coverage/$target.log" 2>&1 \
        || { echo "fuzz: coverage replay of $target failed (log: $OUT/coverage/$target.log)"; exit 1; }
      if [ ${#objects[@]} -eq 0 ]; then objects=("$BUILD/fuzz-$target"); else objects+=(-object "$BUILD/fuzz-$target"); fi
    done
    tools=$(dirname "$(command -v "$SWIFTC")")   # the toolchain's llvm-cov, matching its profile format
    "$tools/llvm-profdata" merge -sparse -o "$OUT/coverage/all.profdata" "$OUT/coverage"/*.profraw
    "$tools/llvm-cov" report -instr-profile="$OUT/coverage/all.profdata" "${objects[@]}" \
      "$BUILD/src/RuleLanguage" "$BUILD/src/RuleEngine" | sed "s|$BUILD/src/|Sources/|"
    echo "fuzz: per-line detail: $tools/llvm-cov show -instr-profile=$OUT/coverage/all.profdata ${objects[*]} $BUILD/src/RuleEngine"
    ;;
  *[!0-9]*) usage ;;
  *)
    seconds=$cmd
    build
    mkdir -p "$OUT/logs"
    status=0
    for target in $TARGETS; do replay_crashes "$target" || status=1; done
    if [ "$JOBS" -gt 1 ]; then
      declare -A pids starts
      for target in $TARGETS; do starts[$target]=$SECONDS; fuzz_one "$target" "$seconds" & pids[$target]=$!; done
      for target in $TARGETS; do
        rc=0; wait "${pids[$target]}" || rc=$?
        report "$target" "$rc" $((SECONDS - starts[$target])) || status=1
      done
    else
      for target in $TARGETS; do
        start=$SECONDS; rc=0
        fuzz_one "$target" "$seconds" || rc=$?
        report "$target" "$rc" $((SECONDS - start)) || status=1
      done
    fi
    exit $status
    ;;
esac
