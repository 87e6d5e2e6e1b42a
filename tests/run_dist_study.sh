#!/bin/sh
# tests/run_dist_study.sh — the study on 2 MPI ranks against 1 process (issue 13): the
# table's numbers (params, train and validation loss, test RMSE and MAE; not the timing)
# must agree within float tolerance, and rank 0 alone writes the files.
#   run_dist_study.sh MPIRUN BITCOIN OUTDIR [bitcoin options...]   (from the source root)
set -eu
mpirun=$1 bitcoin=$2 out=$3
shift 3
rm -rf "$out" && mkdir -p "$out/one" "$out/two"
"$bitcoin" --verbose 0 --out "$out/one" "$@" > "$out/one.txt"
OMP_NUM_THREADS=1 "$mpirun" -np 2 --oversubscribe --allow-run-as-root \
    "$bitcoin" --dist --verbose 0 --out "$out/two" "$@" > "$out/two.txt"
# the model rows: name params s/epoch train val rmse mae
grep -E '^(GRU|LSTM) +[0-9]' "$out/one.txt" > "$out/one.rows"
grep -E '^(GRU|LSTM) +[0-9]' "$out/two.txt" > "$out/two.rows"
[ -s "$out/one.rows" ] || { echo "no table from one process"; cat "$out/one.txt"; exit 1; }
paste "$out/one.rows" "$out/two.rows" | awk '
    function close_(a, b, tol) { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a;
                                 return d <= tol * (m > 1 ? m : 1) }
    { if ($1 != $8 || $2 != $9) { print "rows differ: " $0; bad = 1 }
      for (k = 4; k <= 7; k++)   # losses: 1e-4 relative; dollars: 1e-4 relative too
          if (!close_($k, $(k + 7), 1e-4)) { print $1 ": column " k ": " $k " vs " $(k + 7); bad = 1 } }
    END { exit bad }'
grep -q 'on each of 2 ranks' "$out/two.txt" || { echo "the --dist run did not run on 2 ranks"; exit 1; }
for f in gru_predictions.png lstm_predictions.png loss.png gru.safetensors lstm.safetensors; do
    [ -s "$out/two/$f" ] || { echo "missing $out/two/$f"; exit 1; }
done
echo "2 ranks match 1 process:"
cat "$out/one.rows" "$out/two.rows"
