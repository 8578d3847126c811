// Timing loops shared by the workers: every call or batch is timed on its own, so that the page
// gets a median (robust to the other engineers' load on the shared cores), not only a mean.

// Sorted-copy quantile, q in [0, 1] (nearest rank).
function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

// ms per item -> {n, medianMs, meanMs, p10Ms, p90Ms, minMs, totalMs}.
export function summarize(ms) {
  const sorted = Float64Array.from(ms).sort();
  const total = ms.reduce((a, b) => a + b, 0);
  return {
    n: ms.length,
    medianMs: quantile(sorted, 0.5),
    meanMs: total / ms.length,
    p10Ms: quantile(sorted, 0.1),
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted[0],
    totalMs: total,
  };
}

// Runs fn warmup times untimed, then calls times, each timed; returns summarize() of the latter.
// fn may be synchronous (no await, so no microtask hop inside the timed region) or async.
export async function timeEach(fn, { warmup, calls }) {
  const run = async () => {
    const r = fn();
    if (r && typeof r.then === 'function') await r;
  };
  for (let i = 0; i < warmup; ++i) await run();
  const ms = new Array(calls);
  for (let i = 0; i < calls; ++i) {
    const t0 = performance.now();
    const r = fn();
    if (r && typeof r.then === 'function') await r;
    ms[i] = performance.now() - t0;
  }
  return summarize(ms);
}
