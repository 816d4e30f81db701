#!/usr/bin/env bash
# test.sh: set up and build, run every test (unit + end-to-end) in ./build, then the unit tests
# again under ASan+UBSan (preset asan, ./build-asan). Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

bash scripts/setup.sh || { echo "test.sh: setup/build failed" >&2; exit 1; }
jobs=${BERTH_JOBS:-$(nproc)}
failed=()

echo "== ctest (build) =="
ctest --test-dir build --output-on-failure || failed+=("ctest build")

echo "== ASan+UBSan unit tests (build-asan) =="
if cmake --preset asan >/dev/null && cmake --build --preset asan -j "$jobs"; then
  ctest --preset asan || failed+=("ctest asan")
else
  failed+=("asan build")
fi

if ((${#failed[@]})); then
  echo "test.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test.sh: all passed"
