#!/usr/bin/env bash
# bench/run.sh — tapegrad against PyTorch on the training benchmarks, in one run.
#
#   bench/run.sh                 # builds what is missing, runs everything (~8 minutes on a
#                                # quiet machine, more when it waits for quiet)
#   REPEATS=1 STEPS=10 WARMUP=2 bench/run.sh   # quicker, noisier
#   SIMD=avx2 bench/run.sh       # force tapegrad's AVX2 code (TG_SIMD) on an AVX-512 machine
#
# What it does, from the repository root:
#   1. builds bench/train_bench and bench/gemm_bench in
#      ./build with meson + ninja;
#   2. for each config (seed, medium, large) and cell (lstm, gru), one fresh process each,
#      alternating: tapegrad (build/bench/train_bench --threads 2) then PyTorch
#      (bench/torch_bench.py --threads 2, Debian's /usr/bin/python3), so both see the same
#      machine state and peak RSS is per configuration;
#   3. tapegrad at 1 thread on the large config (the 2-thread speed-up);
#      steps 2 and 3 are one round; REPEATS rounds (default 3) run one after the other, and
#      the table shows, per row, the median over rounds of each program's median step
#      time (the lower middle one for an even count; the other columns come from that
#      round), plus the lowest and highest ratio seen;
#   4. build/bench/gemm_bench (unless GEMM=0), with its own table, and the GEMM floor: the
#      effective GFLOP/s of each config as a share of tg_gemm's best 2-thread rate on a
#      large GEMM (3200x2048x256 NN) measured in the same run;
#   5. build/bench/vmath_bench: elements/ns of exp/log/sigmoid/tanh on every SIMD path;
#   6. the plain-op LSTM (train_bench --cell plainlstm) beside tg_cell_lstm, seed and medium;
#      the variants of layers/variants/ (peephole, lnlstm, zoneout) on medium;
#   7. prints the combined table and whether each target holds. Raw JSON lines go to
#      build/bench/results.jsonl and the printed report to build/bench/results.txt.
#
# OpenMP environment:
#   PyTorch: OMP_WAIT_POLICY=passive (as the issue asks; its threads sleep at once when
#            idle). With "active" PyTorch was slower here (medium LSTM 64 -> 188 ms).
#   tapegrad: OMP_WAIT_POLICY is left unset, i.e. libgomp's default (spin for a while,
#            then sleep). tapegrad opens several short parallel regions per time step;
#            with passive every region pays a futex wake-up (medium LSTM 169 -> 205 ms,
#            seed LSTM 45 -> 69 ms in our measurement). The two programs never run at the
#            same time, so neither one's spinning steals from the other.
#   Threads are set by --threads (omp_set_num_threads / torch.set_num_threads), not by
#   OMP_NUM_THREADS, which is unset for both.
#
# Noise: the machine is shared (other people build and test on the same 2 cores). Before
# every measurement the script waits until the machine is quiet (< NOISE_MAX % busy over
# one second, at most QUIET_WAIT seconds), and both programs report the CPU share other
# processes used during their timed steps (others%). A measurement with others% above
# NOISE_MAX is taken again (up to RETRIES times; the quietest one is kept), and the table
# shows the worst others% of each row.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-2}
STEPS=${STEPS:-20}
WARMUP=${WARMUP:-3}
NOISE_MAX=${NOISE_MAX:-5}    # percent of the machine used by others
QUIET_WAIT=${QUIET_WAIT:-300} # seconds
RETRIES=${RETRIES:-3}
REPEATS=${REPEATS:-3}         # rounds; the table takes medians over them
GEMM=${GEMM:-1}               # 0: skip gemm_bench
SIMD=${SIMD:-}                # portable|avx2|avx512: TG_SIMD for tapegrad (default: the best)
PY=/usr/bin/python3 # Debian's interpreter: python3-torch is installed for it only
CONFIGS=${CONFIGS:-seed medium large}
CELLS="lstm gru"

# ---- build -----------------------------------------------------------------------------
if [ ! -f build/build.ninja ]; then
    meson setup build
fi
ninja -C build bench/train_bench bench/gemm_bench bench/vmath_bench >/dev/null || {
    echo "run.sh: building the benchmarks failed (ninja -C build bench/train_bench" \
        "bench/gemm_bench bench/vmath_bench)" >&2
    exit 1
}

mkdir -p build/bench
results=build/bench/results.jsonl
report=build/bench/results.txt
: >"$results"

# ---- machine ---------------------------------------------------------------------------
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
flags=$(grep -m1 "^flags" /proc/cpuinfo | tr ' ' '\n' |
    grep -E '^(avx2|fma|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16)$' | tr '\n' ' ')
torch_version=$($PY -c "import torch; print(torch.__version__)" 2>/dev/null || echo "missing")
{
    echo "date       $(date -u '+%Y-%m-%d %H:%M UTC')"
    modified=$(git diff --quiet HEAD -- tensor autograd layers optim 2>/dev/null ||
        echo ' (library sources modified)')
    echo "commit     $(git rev-parse --short HEAD 2>/dev/null || echo '?')$modified"
    echo "cpu        $cpu, $(nproc) cores online; $flags"
    echo "memory     $(free -m | awk '/^Mem:/ {print $2 " MB"}')"
    echo "compiler   $(cc --version | head -1)"
    echo "pytorch    $torch_version (/usr/bin/python3), OMP_WAIT_POLICY=passive"
    echo "tapegrad   OMP_WAIT_POLICY unset (libgomp default); TG_SIMD=${SIMD:-unset}: SIMD path" \
        "$(env ${SIMD:+TG_SIMD=$SIMD} build/bench/train_bench --config seed --cell gru \
            --steps 1 --warmup 1 --train-only --json | $PY -c 'import json, sys
r = json.loads(sys.stdin.read()); print(r["simd"] + ", GEMM path " + r["gemm_path"])')"
    echo "load avg   $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"
    echo "steps      $WARMUP warm-up + $STEPS timed per process; medians"
} | tee "$report"
echo

# ---- noise control ---------------------------------------------------------------------
busy_ticks() { # "busy total" ticks of all CPUs
    awk '/^cpu / {b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6}' /proc/stat
}
wait_quiet() { # until less than NOISE_MAX % of the machine is busy over one second
    local waited=0 b0 t0 b1 t1 pct
    while :; do
        read -r b0 t0 < <(busy_ticks)
        sleep 1
        read -r b1 t1 < <(busy_ticks)
        pct=$((100 * (b1 - b0) / ((t1 - t0) > 0 ? (t1 - t0) : 1)))
        if [ "$pct" -lt "$NOISE_MAX" ]; then return 0; fi
        if [ "$waited" -ge "$QUIET_WAIT" ]; then
            echo "run.sh: warning: the machine is still ${pct}% busy; measuring anyway" >&2
            return 0
        fi
        sleep 4
        waited=$((waited + 5))
    done
}
# measure CMD...: runs a benchmark process (one JSON line), again while others% is above
# NOISE_MAX (at most RETRIES runs), and appends the quietest run to $results.
measure() {
    local try out f best="" best_f=1000000
    for try in $(seq 1 "$RETRIES"); do
        wait_quiet
        out=$("$@") || { echo "run.sh: failed: $*" >&2; return 1; }
        f=$(printf '%s\n' "$out" | $PY -c 'import json, sys
print(max(json.loads(l)["foreign_cpu_pct"] for l in sys.stdin if l.strip()))')
        if awk "BEGIN { exit !($f < $best_f) }"; then best=$out best_f=$f; fi
        if awk "BEGIN { exit !($f <= $NOISE_MAX) }"; then break; fi
        echo "  others used $f% of the machine during the timed steps (try $try)" >&2
    done
    printf '%s\n' "$best" >>"$results"
}

# ---- runs ------------------------------------------------------------------------------
run_tg() { # config cell threads
    measure env -u OMP_WAIT_POLICY -u OMP_NUM_THREADS ${SIMD:+TG_SIMD=$SIMD} \
        build/bench/train_bench --config "$1" \
        --cell "$2" --threads "$3" --steps "$STEPS" --warmup "$WARMUP" --json
}
run_torch() { # config cell threads
    measure env -u OMP_NUM_THREADS OMP_WAIT_POLICY=passive $PY bench/torch_bench.py \
        --config "$1" --cell "$2" --threads "$3" --steps "$STEPS" --warmup "$WARMUP" --json
}

for round in $(seq 1 "$REPEATS"); do
    for config in $CONFIGS; do
        for cell in $CELLS; do
            echo "round $round/$REPEATS: $config $cell: tapegrad, PyTorch ($THREADS threads)" >&2
            run_tg "$config" "$cell" "$THREADS"
            if [ "$torch_version" != "missing" ]; then
                run_torch "$config" "$cell" "$THREADS"
            fi
        done
    done
    for config in seed medium; do
        echo "round $round/$REPEATS: $config plainlstm: tapegrad ($THREADS threads)" >&2
        run_tg "$config" plainlstm "$THREADS"
    done
    for cell in peephole lnlstm zoneout; do
        echo "round $round/$REPEATS: medium $cell: tapegrad ($THREADS threads)" >&2
        run_tg medium "$cell" "$THREADS"
    done
    if [ "$THREADS" != 1 ]; then # else the rows above are the 1-thread ones
        for cell in $CELLS; do
            echo "round $round/$REPEATS: large $cell: tapegrad, 1 thread" >&2
            run_tg large "$cell" 1
        done
    fi
done

# ---- the GEMM floor: tg_gemm's best 2-thread rate on a large GEMM, this run ---------------
wait_quiet
gemm_peak=$(env -u OMP_WAIT_POLICY ${SIMD:+TG_SIMD=$SIMD} build/bench/gemm_bench \
    --shape 3200,2048,256 --variants NN --threads 2 --no-openblas --rounds 3 |
    awk '$1 == "3200x2048x256" { print $3 }')
echo "tg_gemm 3200x2048x256 NN, 2 threads: ${gemm_peak:-?} GFLOP/s (the GEMM floor's 100%)" |
    tee -a "$report"

# ---- the combined table ----------------------------------------------------------------
GEMM_PEAK=${gemm_peak:-0} THREADS=$THREADS $PY - "$results" <<'EOF' | tee -a "$report"
import json, os, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
threads = int(os.environ["THREADS"])
def runs(impl, config, cell, th):
    return [r for r in rows
            if (r["impl"], r["config"], r["cell"], r["threads"]) == (impl, config, cell, th)]
def median(xs):
    """The middle value; the lower middle one for an even count (a value that was seen)."""
    xs = sorted(xs)
    return xs[(len(xs) - 1) // 2]
def find(impl, config, cell, th):
    """The round whose step time is the median, with infer_ms replaced by the median
    inference time over rounds."""
    rs = runs(impl, config, cell, th)
    if not rs:
        return None
    rs.sort(key=lambda r: r["train_ms"])
    r = dict(rs[(len(rs) - 1) // 2])
    r["infer_ms"] = median([x["infer_ms"] for x in rs if x.get("infer_ms") is not None] or [0])
    r["foreign_cpu_pct"] = max(x.get("foreign_cpu_pct", 0.0) for x in rs)
    r["rounds"] = len(rs)
    return r
def ratio_range(config, cell):
    """Lowest and highest PyTorch / tapegrad ratio over rounds (round i against round i)."""
    t, p = runs("tapegrad", config, cell, threads), runs("pytorch", config, cell, threads)
    rs = [b["train_ms"] / a["train_ms"] for a, b in zip(t, p)]
    return (min(rs), max(rs)) if rs else (float("nan"), float("nan"))

def noise(*rs):
    return max(r.get("foreign_cpu_pct", 0.0) for r in rs if r)

print(f"Training step = zero_grad + forward + loss + backward + optimizer step; "
      f"{threads} threads; median ms.")
print("speed-up = PyTorch ms / tapegrad ms (> 1: tapegrad faster). GFLOP/s: tapegrad, "
      "recurrent GEMMs only (fwd 2TBGH(I+H), bwd 2x).")
print("RSS: tapegrad process peak (one configuration per process). allocs: tapegrad heap "
      "allocations per training step after warm-up.")
print("Each time is the median over rounds of a process's median; range: lowest and highest "
      "ratio of the rounds.")
print("others%: worst CPU share other processes took during the row's timed steps.\n")
hdr = (f"{'config':7} {'cell':5} {'tg ms':>8} {'torch ms':>8} {'speed-up':>8} "
       f"{'tg inf':>8} {'torch inf':>9} {'inf s-up':>8} {'GF/s trn':>8} {'GF/s inf':>8} "
       f"{'RSS MB':>7} {'torch RSS':>9} {'allocs':>6} {'others%':>7} {'range':>11}")
print(hdr)
print("-" * len(hdr))
checks = []
peak = float(os.environ.get("GEMM_PEAK") or 0)
for config in ["seed", "medium", "large"]:
    for cell in ["lstm", "gru"]:
        t = find("tapegrad", config, cell, threads)
        p = find("pytorch", config, cell, threads)
        if not t:
            continue
        ratio = p["train_ms"] / t["train_ms"] if p else float("nan")
        iratio = p["infer_ms"] / t["infer_ms"] if p else float("nan")
        if config == "seed":  # overhead-bound: against PyTorch
            checks.append((f"seed {cell}: training >= 2.5x PyTorch", ratio >= 2.5,
                           f"{ratio:.2f}x"))
            checks.append((f"seed {cell}: inference >= 2.5x PyTorch", iratio >= 2.5,
                           f"{iratio:.2f}x"))
        elif peak > 0:  # GEMM-bound: against the GEMM floor
            ft, fi = t["gflops_train"] / peak, t["gflops_infer"] / peak
            checks.append((f"{config} {cell}: training GFLOP/s >= 80% of tg_gemm's", ft >= 0.8,
                           f"{t['gflops_train']:.0f} = {100 * ft:.0f}% of {peak:.0f}"))
            checks.append((f"{config} {cell}: inference GFLOP/s >= 80% of tg_gemm's",
                           fi >= 0.8, f"{t['gflops_infer']:.0f} = {100 * fi:.0f}% of {peak:.0f}"))
        print(f"{config:7} {cell:5} {t['train_ms']:8.1f} "
              f"{(p['train_ms'] if p else float('nan')):8.1f} {ratio:7.2f}x "
              f"{t['infer_ms']:8.1f} {(p['infer_ms'] if p else float('nan')):9.1f} "
              f"{iratio:7.2f}x {t['gflops_train']:8.1f} {t['gflops_infer']:8.1f} "
              f"{t['rss_mb']:7.1f} {(p['rss_mb'] if p else float('nan')):9.1f} "
              f"{t['allocs_per_step']:6.2g} {noise(t, p):7.1f} "
              f"{'%.2f-%.2fx' % ratio_range(config, cell):>11}")
print(f"SIMD path: {rows[0].get('simd', '?')}, GEMM path {rows[0].get('gemm_path', '?')}")

print("\nGEMM floor (effective GFLOP/s / tg_gemm 3200x2048x256 NN at 2 threads, "
      f"{peak:.0f} GFLOP/s, this run):")
for config in ["seed", "medium", "large"]:
    for cell in ["lstm", "gru"]:
        t = find("tapegrad", config, cell, threads)
        if t and peak > 0:
            print(f"  {config:7} {cell:5} training {100 * t['gflops_train'] / peak:5.1f}%  "
                  f"inference {100 * t['gflops_infer'] / peak:5.1f}%")

print("\nA user's LSTM from the general ops (train_bench --cell plainlstm) / tg_cell_lstm:")
for config in ["seed", "medium"]:
    t, q = find("tapegrad", config, "lstm", threads), find("tapegrad", config, "plainlstm",
                                                             threads)
    if t and q:
        r, ri = q["train_ms"] / t["train_ms"], q["infer_ms"] / t["infer_ms"]
        print(f"  {config:7} training {q['train_ms']:.1f} / {t['train_ms']:.1f} ms = {r:.2f}x, "
              f"inference {q['infer_ms']:.1f} / {t['infer_ms']:.1f} ms = {ri:.2f}x")
        checks.append((f"{config}: plain-op LSTM within 1.2x of tg_cell_lstm", r <= 1.2,
                       f"{r:.2f}x training, {ri:.2f}x inference"))

print("\nThe gate variants (layers/variants/) / tg_cell_lstm, medium, training:")
for cell in ["peephole", "lnlstm", "zoneout"]:
    t, q = find("tapegrad", "medium", "lstm", threads), find("tapegrad", "medium", cell, threads)
    if t and q:
        r = q["train_ms"] / t["train_ms"]
        print(f"  {cell:9} {q['train_ms']:.1f} / {t['train_ms']:.1f} ms = {r:.2f}x")
        checks.append((f"medium: {cell} within 1.3x of tg_cell_lstm", r <= 1.3, f"{r:.2f}x"))

print()
for config in ["seed", "medium", "large"]:
    for cell in ["lstm", "gru"]:
        rs = runs("tapegrad", config, cell, threads)
        if rs:
            worst = max(rs, key=lambda r: r["allocs_per_step"])
            checks.append((f"{config} {cell}: 0 heap allocations per training step",
                           worst["allocs_per_step"] == 0,
                           f"{worst['allocs_per_step']:g}/step in the worst of {len(rs)} "
                           f"rounds (first step {worst['first_step_allocs']})"))
if threads != 1:
    print("1 -> %d threads, tapegrad, large config (medians over rounds):" % threads)
for cell in ["lstm", "gru"] if threads != 1 else []:
    one, many = find("tapegrad", "large", cell, 1), find("tapegrad", "large", cell, threads)
    if one and many:
        s = one["train_ms"] / many["train_ms"]
        si = one["infer_ms"] / many["infer_ms"]
        print(f"  {cell:5} training {one['train_ms']:.1f} -> {many['train_ms']:.1f} ms "
              f"({s:.2f}x), inference {one['infer_ms']:.1f} -> {many['infer_ms']:.1f} ms "
              f"({si:.2f}x); others% {noise(one, many):.1f}")
print("\nTargets:")
for what, ok, val in checks:
    print(f"  [{'ok' if ok else 'NO'}] {what}: {val}")
print(f"\n{sum(ok for _, ok, _ in checks)} of {len(checks)} targets hold.")
EOF

# ---- GEMM benchmark ------------------------------------------------------------------------
if [ "$GEMM" = 1 ]; then
    wait_quiet
    echo
    echo "build/bench/gemm_bench:" | tee -a "$report"
    env -u OMP_WAIT_POLICY ${SIMD:+TG_SIMD=$SIMD} timeout 900 build/bench/gemm_bench 2>&1 |
        tee -a "$report" || echo "run.sh: gemm_bench failed" | tee -a "$report"
fi
wait_quiet
echo
echo "build/bench/vmath_bench:" | tee -a "$report"
build/bench/vmath_bench 2>&1 | tee -a "$report" || echo "run.sh: vmath_bench failed" | tee -a "$report"
echo
echo "raw results: $results; this report: $report" >&2
