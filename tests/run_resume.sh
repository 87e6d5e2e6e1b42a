#!/usr/bin/env bash
# tests/run_resume.sh EXE OUTDIR — examples/resume stopped after epoch 2 of 4, then run
# again in a new process: the second run resumes from the checkpoint, finishes, and
# removes it; its final losses equal those of a run that was never stopped.
set -euo pipefail
exe=$1 out=$2
rm -rf "$out" "$out-straight"
"$exe" --epochs 4 --stop-after 2 --out "$out" > "$out.first"
grep -q "Stopped after epoch 2" "$out.first" || { cat "$out.first"; exit 1; }
[ -s "$out/resume.ckpt" ] || { echo "no checkpoint after the stop"; exit 1; }
"$exe" --epochs 4 --out "$out" > "$out.second"
grep -q "^epoch   3/4" "$out.second" || { cat "$out.second"; exit 1; }
! grep -q "^epoch   1/4" "$out.second" || { echo "the second run started over"; exit 1; }
[ ! -e "$out/resume.ckpt" ] || { echo "the checkpoint was not removed"; exit 1; }
"$exe" --epochs 4 --out "$out-straight" > "$out.straight"
diff <(grep "^epoch   4/4" "$out.second" | sed 's/(.*//') \
     <(grep "^epoch   4/4" "$out.straight" | sed 's/(.*//') ||
    { echo "the resumed run's last epoch differs from a straight run"; exit 1; }
echo "ok: stopped, resumed in a new process, same last epoch as a straight run"
