#!/usr/bin/env bash
# setup.sh: install every build and test dependency (apt) and build the project with the CMake
# preset `default` (build dir ./build). Idempotent: apt runs only when a package is missing, and
# `apt-get update` at most once per boot.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  # toolchain and build
  build-essential cmake ninja-build ccache pkg-config
  # libraries
  libseccomp-dev libcap-dev nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev libgmock-dev
  libcurl4-openssl-dev libarchive-dev libzstd-dev zlib1g-dev libssl-dev libsqlite3-dev libboost-dev
  libyaml-cpp-dev
  # end-to-end tests, demo and benchmark
  busybox-static runc crun podman skopeo umoci hyperfine wrk python3-pytest jq iproute2 time
  docker-registry apache2-utils python3-cryptography docker-compose podman-compose
  util-linux tar curl procps
)

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root (or install sudo)" >&2; exit 1; }
  SUDO=(sudo)
fi

missing() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
      echo "$p"
  done
}

# A stamp holding the boot id: the package lists are refreshed at most once per boot.
STAMP=/var/lib/apt/periodic/berth-update-boot-id
apt_update() {
  local boot
  boot=$(cat /proc/sys/kernel/random/boot_id)
  if [[ ${1:-} == force || ! -f $STAMP || $(cat "$STAMP") != "$boot" ]]; then
    "${SUDO[@]}" apt-get update -q
    echo "$boot" | "${SUDO[@]}" tee "$STAMP" >/dev/null
  fi
}

mapfile -t need < <(missing)
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_update
  if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"; then
    apt_update force  # stale lists (a package moved) are the usual cause
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
  fi
fi

cmake --preset default >/dev/null
cmake --build --preset default -j "${BERTH_JOBS:-$(nproc)}"
