#!/usr/bin/env bash
# One entry point for setting up, building, running and testing Antrean on Debian 12.
#
#   tools/dev.sh run     install what is missing, build, start `antrean serve` on ./var/ledger
#                        (http://127.0.0.1:8080; LISTEN=HOST:PORT to change)
#   tools/dev.sh test    install what is missing, build, run every test, then again under
#                        AddressSanitizer + UndefinedBehaviorSanitizer (clang), and each fuzz
#                        target for FUZZ_CI_SECONDS (15) over its corpus
#   tools/dev.sh fuzz [SECONDS] [TARGET...]
#                        build the fuzz targets and run each for SECONDS (600) (docs/HARDENING.md)
#   tools/dev.sh setup   only install the Debian packages (apt-get; needs root)
#   tools/dev.sh build   only build (build/, RelWithDebInfo)
#   tools/dev.sh bench   build and run the benchmarks (see benchmarks/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the build, the tests and the benchmarks need, from Debian 12's own archive.
PACKAGES=(
  cmake ninja-build ccache g++ pkg-config python3
  librocksdb-dev rocksdb-tools libjemalloc-dev
  libboost1.81-dev libboost-json1.81-dev
  libspdlog-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
)
# Only for `bench`: http_bench's baseline (nginx answering a fixed 200 beside our server).
BENCH_PACKAGES=(nginx-light)

JOBS=${JOBS:-$(nproc)}

setup() {  # setup [extra packages...]
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure() {  # configure DIR [cmake args...]
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
}

build() {
  configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j "$JOBS"
}

# The sanitizer build: clang, so that the same build also links the libFuzzer targets.
sanitize_build() {
  # A build-sanitize/ configured before it was made with clang (g++, no fuzz targets) is redone.
  if [ -f build-sanitize/CMakeCache.txt ] &&
     ! grep -q '^ANTREAN_FUZZ:BOOL=ON' build-sanitize/CMakeCache.txt; then
    rm -rf build-sanitize
  fi
  configure build-sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 \
    -DANTREAN_SANITIZE=ON -DANTREAN_FUZZ=ON -DANTREAN_BENCHMARKS=OFF
  cmake --build build-sanitize -j "$JOBS"
}

FUZZ_TARGETS=(message_parser webhook event_decoder command_line office_config)

fuzz_run() {  # fuzz_run SECONDS [TARGET...]: each target in turn, from its committed corpus
  local seconds=$1; shift
  local targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=("${FUZZ_TARGETS[@]}")
  for t in "${targets[@]}"; do
    # New inputs go to var/fuzz/corpus/T (kept between runs, not committed); the committed seeds
    # are only read. A crash is written to var/fuzz/T-crash-<sha1> and fails the run.
    local work=var/fuzz/corpus/$t
    mkdir -p "$work"
    echo "== fuzz $t for ${seconds}s =="
    if ! build-sanitize/tests/fuzz/${t}_fuzz -max_total_time="$seconds" -timeout=25 \
         -print_final_stats=1 -dict=tests/fuzz/$t.dict -artifact_prefix="var/fuzz/$t-" \
         "$work" "tests/fuzz/corpus/$t" > "var/fuzz/$t.log" 2>&1; then
      tail -n 40 "var/fuzz/$t.log"
      echo "fuzz $t failed: the input is in var/fuzz/$t-*, the whole log in var/fuzz/$t.log"
      return 1
    fi
    # The figures docs/HARDENING.md reports: executions, coverage, features, corpus size.
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units)' "var/fuzz/$t.log"
  done
}

run_tests() {  # run_tests DIR
  # ctest's own summary line ("100% tests passed, 0 tests failed out of N") closes each run.
  ctest --test-dir "$1" --output-on-failure -j "$JOBS" --timeout 900
}

cmd=${1:-}
case "$cmd" in
  setup) setup ;;
  build) setup; build ;;
  run)
    setup; build
    mkdir -p var
    bin=build/tools/antrean
    if [ ! -f var/secrets.json ]; then
      # Fresh random secrets for this machine, and one local token with every role.
      "$bin" secrets init --secrets var/secrets.json
      (umask 077; "$bin" token add --name local-admin --role officer,auditor,admin \
         --secrets var/secrets.json > var/local-token)
      echo "created var/local-token (a staff API token with every role)"
    fi
    echo "send a message:  $bin send --office bogor --from 081234567890 \"#BUDI#25011987#\$(date -d 'next monday' +%d%m%Y)\""
    echo "read the API:    curl -H \"Authorization: Bearer \$(cat var/local-token)\" http://${LISTEN:-127.0.0.1:8080}/api/v1/phones/081234567890"
    exec "$bin" serve --ledger var/ledger --config config/offices.json --secrets var/secrets.json \
      --listen "${LISTEN:-127.0.0.1:8080}"
    ;;
  test)
    setup; build
    run_tests build
    echo "== the same tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
    sanitize_build
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      run_tests build-sanitize
    echo "== each fuzz target for ${FUZZ_CI_SECONDS:-15}s (tools/dev.sh fuzz for a longer run) =="
    fuzz_run "${FUZZ_CI_SECONDS:-15}"
    ;;
  fuzz)
    setup; sanitize_build
    shift
    fuzz_run "${1:-600}" "${@:2}"
    ;;
  bench)
    setup "${BENCH_PACKAGES[@]}"; build
    mkdir -p var
    build/benchmarks/ledger_bench --dir var/bench
    build/benchmarks/http_bench --dir var/bench
    ;;
  *)
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
