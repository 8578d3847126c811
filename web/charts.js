// Small line charts on a canvas (no library): axes with round ticks, a legend, several series,
// sharp on high-DPI screens, redrawn when resized.

function niceStep(range, targetTicks) {
  const raw = range / Math.max(1, targetTicks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function cssVar(el, name, fallback) {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

export class LineChart {
  // options: {title, xLabel, yFormat(v) -> string, zeroBased, yMin, yMax (bounds the data range)}
  constructor(canvas, options = {}) {
    this.canvas = canvas;
    this.options = options;
    this.series = [];
    this.xMax = 1;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  // series: [{name, color, points: [[x, y], ...], dash: [..], markers: bool}]
  setData(series, xMax) {
    this.series = series;
    this.xMax = Math.max(xMax || 1, 1e-9);
    this.draw();
  }

  yRange() {
    const o = this.options;
    let lo = Infinity, hi = -Infinity;
    for (const s of this.series)
      for (const [, y] of s.points) {
        if (!Number.isFinite(y)) continue;
        lo = Math.min(lo, y);
        hi = Math.max(hi, y);
      }
    if (!Number.isFinite(lo)) {
      lo = o.yMin ?? 0;
      hi = o.yMax ?? 1;
    }
    if (o.zeroBased) lo = Math.min(lo, 0);
    if (o.yMin !== undefined) lo = Math.max(lo, o.yMin);
    if (o.yMax !== undefined) hi = Math.min(hi, o.yMax);
    if (hi - lo < 1e-6) {
      const d = Math.max(Math.abs(hi) * 0.1, 0.01);
      lo -= d;
      hi += d;
    }
    const step = niceStep(hi - lo, 4);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
    if (o.yMin !== undefined) lo = Math.max(lo, o.yMin);
    if (o.yMax !== undefined) hi = Math.min(hi, o.yMax);
    return { lo, hi, step };
  }

  draw() {
    const c = this.canvas;
    const rect = c.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(rect.width * dpr);
    c.height = Math.round(rect.height * dpr);
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const W = rect.width, H = rect.height;
    const text = cssVar(c, '--text', '#171923');
    const muted = cssVar(c, '--muted', '#5f6677');
    const line = cssVar(c, '--line', '#e3e6ee');
    const font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    g.clearRect(0, 0, W, H);

    const o = this.options;
    const fmt = o.yFormat ?? ((v) => String(+v.toFixed(3)));
    const { lo, hi, step } = this.yRange();
    const pad = { l: 46, r: 16, t: 30, b: 30 };
    const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
    const X = (x) => pad.l + (x / this.xMax) * pw;
    const Y = (y) => pad.t + (1 - (y - lo) / (hi - lo)) * ph;

    // Title and legend.
    g.font = `600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
    g.fillStyle = text;
    g.textBaseline = 'alphabetic';
    g.textAlign = 'left';
    g.fillText(o.title ?? '', pad.l, 17);
    g.font = font;
    let lx = W - pad.r;
    for (const s of [...this.series].reverse()) {
      const w = g.measureText(s.name).width;
      lx -= w;
      g.fillStyle = muted;
      g.fillText(s.name, lx, 17);
      lx -= 20;
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.setLineDash(s.dash ?? []);
      g.beginPath();
      g.moveTo(lx, 13);
      g.lineTo(lx + 14, 13);
      g.stroke();
      g.setLineDash([]);
      lx -= 14;
    }

    // Grid and y ticks.
    g.strokeStyle = line;
    g.lineWidth = 1;
    g.fillStyle = muted;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (let y = lo; y <= hi + step / 2; y += step) {
      const py = Math.round(Y(y)) + 0.5;
      g.beginPath();
      g.moveTo(pad.l, py);
      g.lineTo(W - pad.r, py);
      g.stroke();
      g.fillText(fmt(y), pad.l - 6, py);
    }
    // x ticks: epochs.
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const xStep = Math.max(1, Math.ceil(this.xMax / 10));
    for (let x = 0; x <= this.xMax + 1e-9; x += xStep) g.fillText(String(x), X(x), H - pad.b + 6);
    if (o.xLabel) {
      g.textAlign = 'right';
      g.fillText(o.xLabel, pad.l - 10, H - pad.b + 6);
    }

    // Series.
    g.save();
    g.beginPath();
    g.rect(pad.l - 6, pad.t - 6, pw + 12, ph + 12);
    g.clip();
    for (const s of this.series) {
      const pts = s.points.filter(([, y]) => Number.isFinite(y));
      if (!pts.length) continue;
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.lineJoin = 'round';
      g.setLineDash(s.dash ?? []);
      g.beginPath();
      pts.forEach(([x, y], i) => (i ? g.lineTo(X(x), Y(y)) : g.moveTo(X(x), Y(y))));
      g.stroke();
      g.setLineDash([]);
      if (s.markers || pts.length === 1) {
        g.fillStyle = s.color;
        for (const [x, y] of pts) {
          g.beginPath();
          g.arc(X(x), Y(y), 3.5, 0, Math.PI * 2);
          g.fill();
        }
      }
    }
    g.restore();
  }
}
