#!/usr/bin/env bash
# Mutation check of the reliability guarantees (`make test-mutants`): for each tests/Mutants/*.patch, plant the
# defect in a scratch copy of HEAD, build, run only the test named by the patch's "Test:" line, and expect it to
# FAIL. "killed" = the test failed (good), "SURVIVED" = it passed with the defect in place (bad), "BROKEN" = the
# patch did not apply, the build failed or no test ran (the mutant needs regenerating). Exit 1 unless all are killed.
#
#   tests/Mutants/run.sh                      # every patch
#   tests/Mutants/run.sh '1-crash-*' 6-shutdown-exit-without-release   # by name or glob (without .patch)
#
# A patch is `git apply`-able; the header lines before its first "diff --git" say what it plants and where it is
# caught: "Test:" (a dotnet test --filter, required), "Project:" (default tests/Reliability.Tests), "Mutant:",
# "Guards:", "Expect:". The copy lives in .local/mutants/src and is reused while HEAD is unchanged, so only the
# patched project rebuilds between mutants. Uncommitted changes are not included: commit first.
set -uo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
DOTNET="${DOTNET:-dotnet}"
scratch="${MUTANT_DIR:-$root/.local/mutants}"
src="$scratch/src"
logs="$scratch/logs"
head_rev="$(git rev-parse HEAD)"
mkdir -p "$logs"

patches=()
if [ "$#" -eq 0 ]; then
  patches=(tests/Mutants/*.patch)
else
  for pattern in "$@"; do
    matched=(tests/Mutants/${pattern%.patch}.patch)
    [ -e "${matched[0]}" ] || { echo "no mutant matches '$pattern'" >&2; exit 2; }
    patches+=("${matched[@]}")
  done
fi

# A fresh copy of HEAD when HEAD moved or an earlier run stopped with a mutant still applied.
if [ ! -f "$src/.mutant-base" ] || [ "$(cat "$src/.mutant-base")" != "$head_rev" ] || [ -e "$src/.mutant-applied" ]; then
  echo "mutants: copying HEAD ${head_rev:0:12} to $src"
  rm -rf "$src" && mkdir -p "$src"
  git archive HEAD | tar -x -C "$src"
  # A repository of its own: `git apply` inside the project's work tree would apply to that tree's paths, not the copy's.
  git -C "$src" init -q && git -C "$src" add -A \
    && git -C "$src" -c user.name=mutants -c user.email=mutants@localhost commit -qm "HEAD ${head_rev:0:12}"
  echo "$head_rev" > "$src/.mutant-base"
fi

build() {
  (cd "$src" && "$DOTNET" build DnsSync.slnx -c Release -nologo -v q -p:TreatWarningsAsErrors=false) >"$1" 2>&1
}

header() { sed -n "/^diff --git/q;s/^$2: *//p" "$1" | head -1; }

killed=0; survived=0; broken=0
summary="$scratch/summary.txt"
: >"$summary"
report() {
  printf '%-55s %-9s %s\n' "$1" "$2" "$3" | tee -a "$summary"
}

for patch in "${patches[@]}"; do
  name="$(basename "$patch" .patch)"
  filter="$(header "$patch" Test)"
  project="$(header "$patch" Project)"; project="${project:-tests/Reliability.Tests}"
  log="$logs/$name.log"
  started=$SECONDS
  if [ -z "$filter" ]; then report "$name" BROKEN "no Test: line"; broken=$((broken + 1)); continue; fi
  if ! git -C "$src" apply --check "$root/$patch" 2>"$log"; then
    report "$name" BROKEN "does not apply to HEAD (regenerate it): $(head -1 "$log")"; broken=$((broken + 1)); continue
  fi
  git -C "$src" apply "$root/$patch" && echo "$name" > "$src/.mutant-applied"
  if git -C "$src" diff --quiet; then report "$name" BROKEN "applied, but changed nothing"; broken=$((broken + 1)); rm -f "$src/.mutant-applied"; continue; fi
  echo "mutants: $name — building, then: dotnet test $project --filter '$filter'"
  if ! build "$log.build"; then
    report "$name" BROKEN "build failed (see $log.build)"; broken=$((broken + 1))
  else
    (cd "$src" && timeout 1200 "$DOTNET" test "$project" -c Release --no-build --filter "$filter" \
      --logger "console;verbosity=normal") >"$log" 2>&1
    rc=$?
    failed="$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{ n += $2 } END { print n + 0 }')"
    # The first failed assertion: NUnit's first numbered failure when an Assert.Multiple had several.
    why="$(grep -m1 -A1 'Error Message:' "$log" | tail -1 | sed 's/^ *//')"
    case "$why" in "Multiple failures"*) why="$(grep -m1 -E '^  1\) ' "$log" | sed 's/^  1) *//')";; esac
    why="$(printf '%s' "$why" | cut -c1-160)"
    if [ "$rc" -ne 0 ] && [ "$failed" -gt 0 ]; then
      report "$name" killed "$((SECONDS - started)) s: $why"; killed=$((killed + 1))
    elif [ "$rc" -eq 0 ] && grep -qE 'Passed: +[1-9]' "$log"; then
      report "$name" SURVIVED "$((SECONDS - started)) s: the test passed with the defect planted"; survived=$((survived + 1))
    else
      report "$name" BROKEN "no test failed or ran (exit $rc, see $log)"; broken=$((broken + 1))
    fi
  fi
  git -C "$src" checkout -q -- . && rm -f "$src/.mutant-applied"
done

echo "mutants: $killed killed, $survived survived, $broken broken (of ${#patches[@]}); logs in $logs, summary in $summary"
# Leave the copy built as HEAD, so the next run's first build is incremental.
[ "$broken" -eq 0 ] && [ "$survived" -eq 0 ] && [ "$killed" -gt 0 ]
