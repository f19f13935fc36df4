#!/usr/bin/env bash
# One entry point for setting up, building, running and testing Antrean on Debian 12.
#
#   tools/dev.sh run     install what is missing, build, start `antrean serve` on ./var/ledger
#                        (http://127.0.0.1:8080; LISTEN=HOST:PORT to change)
#   tools/dev.sh test    install what is missing, build, run every test, then again under
#                        AddressSanitizer + UndefinedBehaviorSanitizer
#   tools/dev.sh setup   only install the Debian packages (apt-get; needs root)
#   tools/dev.sh build   only build (build/, RelWithDebInfo)
#   tools/dev.sh bench   build and run the benchmarks (see benchmarks/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the build, the tests and the benchmarks need, from Debian 12's own archive.
PACKAGES=(
  cmake ninja-build ccache g++ pkg-config python3
  librocksdb-dev rocksdb-tools
  libboost1.81-dev libboost-json1.81-dev
  libspdlog-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
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
    configure build-sanitize -DCMAKE_BUILD_TYPE=Debug -DANTREAN_SANITIZE=ON -DANTREAN_BENCHMARKS=OFF
    cmake --build build-sanitize -j "$JOBS"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      run_tests build-sanitize
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
