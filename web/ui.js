// Drawing the page's views: probability bars, 28x28 images, filters and feature maps, the
// confusion matrix, digit grids, and number formatting. Pure DOM/canvas, no state.

export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
export const fmtPct = (x, digits = 2) => `${(100 * x).toFixed(digits)}%`;

export function fmtDuration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}:${String(s % 60).padStart(2, '0')}`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// A bar's figure, to the same precision as the verdict above it where it matters: 99.7% stays
// 99.7% (not 100%), 3.2% keeps its decimal, 42% does not need one.
export function barText(p) {
  if (p >= 0.9995) return '100%';
  if (p < 0.001) return '0%';
  return `${(100 * p).toFixed(p < 0.1 || p >= 0.9 ? 1 : 0)}%`;
}

// Ten rows: digit, bar, percentage. probs null clears them. The full vector is kept in
// data-probs for tests and curious users.
export function renderBars(list, probs) {
  if (list.children.length !== 10) {
    list.replaceChildren();
    for (let k = 0; k < 10; ++k) {
      const li = document.createElement('li');
      li.innerHTML = `<span class="k">${k}</span><span class="track"><span class="fill"></span></span><span class="v"></span>`;
      li.tabIndex = 0;
      li.setAttribute('role', 'button');
      list.append(li);
    }
  }
  let best = -1;
  if (probs) best = probs.indexOf(Math.max(...probs));
  [...list.children].forEach((li, k) => {
    const p = probs ? probs[k] : 0;
    li.querySelector('.fill').style.width = `${(100 * p).toFixed(2)}%`;
    li.querySelector('.v').textContent = probs ? barText(p) : '';
    li.classList.toggle('top', k === best);
    li.setAttribute('aria-label', probs ? `${k}: ${(100 * p).toFixed(1)} percent` : `${k}`);
  });
  list.dataset.probs = probs ? JSON.stringify(Array.from(probs)) : '';
}

// Grey image, values in [0, 1] (1 = white), into a canvas of the image's own size.
export function drawGray(canvas, values, width, height) {
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  const img = g.createImageData(width, height);
  for (let i = 0; i < width * height; ++i) {
    const v = Math.max(0, Math.min(255, Math.round(255 * (values ? values[i] : 0))));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
}

// A stored digit (bytes 0..255) into a canvas.
export function drawBytes(canvas, bytes, offset, rows, cols) {
  canvas.width = cols;
  canvas.height = rows;
  const g = canvas.getContext('2d');
  const img = g.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; ++i) {
    const v = bytes[offset + i];
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
}

function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

// Piecewise-linear colour scale through `stops` for t in [0, 1].
function scale(stops, t) {
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  return mix(stops[i], stops[i + 1], x - i);
}
const DIVERGING = [[38, 92, 190], [132, 170, 228], [246, 246, 244], [244, 168, 112], [214, 96, 26]];
const HEAT = [[8, 8, 20], [52, 30, 110], [150, 46, 120], [236, 100, 60], [252, 206, 90], [255, 252, 220]];

// Draws `count` cells of cw x ch pixels in a grid of `columns`; value(cell, x, y) -> rgb.
function drawCells(canvas, count, columns, cw, ch, zoom, gap, value) {
  const rows = Math.ceil(count / columns);
  canvas.width = columns * (cw * zoom + gap) - gap;
  canvas.height = rows * (ch * zoom + gap) - gap;
  const g = canvas.getContext('2d');
  const img = g.createImageData(canvas.width, canvas.height);
  for (let k = 0; k < count; ++k) {
    const ox = (k % columns) * (cw * zoom + gap), oy = Math.floor(k / columns) * (ch * zoom + gap);
    for (let y = 0; y < ch; ++y)
      for (let x = 0; x < cw; ++x) {
        const rgb = value(k, x, y);
        for (let dy = 0; dy < zoom; ++dy)
          for (let dx = 0; dx < zoom; ++dx) {
            const p = 4 * ((oy + y * zoom + dy) * canvas.width + ox + x * zoom + dx);
            img.data[p] = rgb[0];
            img.data[p + 1] = rgb[1];
            img.data[p + 2] = rgb[2];
            img.data[p + 3] = 255;
          }
      }
  }
  g.putImageData(img, 0, 0);
}

// Conv kernels stored {kh, kw, in, out}: one cell per filter (averaged over input channels),
// blue negative, orange positive, on one scale for all filters.
export function renderFilters(canvas, kernel) {
  const [kh, kw, cin, cout] = kernel.shape;
  const d = kernel.data;
  const at = (f, x, y) => {
    let s = 0;
    for (let c = 0; c < cin; ++c) s += d[((y * kw + x) * cin + c) * cout + f];
    return s / cin;
  };
  let maxAbs = 1e-6;
  for (let f = 0; f < cout; ++f)
    for (let y = 0; y < kh; ++y) for (let x = 0; x < kw; ++x) maxAbs = Math.max(maxAbs, Math.abs(at(f, x, y)));
  const columns = Math.min(8, cout);
  const zoom = Math.max(1, Math.floor(28 / Math.max(kh, kw)));
  drawCells(canvas, cout, columns, kw, kh, zoom, 4, (f, x, y) => scale(DIVERGING, 0.5 + at(f, x, y) / (2 * maxAbs)));
}

// Feature maps {h, w, c, data} (NHWC, one sample): one cell per channel, one scale for all.
export function renderMaps(canvas, maps) {
  const { h, w, c, data } = maps;
  let max = 1e-6;
  for (const v of data) max = Math.max(max, v);
  const columns = Math.min(8, c);
  drawCells(canvas, c, columns, w, h, 2, 6, (k, x, y) => scale(HEAT, data[(y * w + x) * c + k] / max));
}

export function clearCanvas(canvas) {
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

// confusion: classes x classes counts, [true * classes + predicted].
export function renderConfusion(table, confusion, classes) {
  let max = 1;
  const rowTotals = [];
  for (let t = 0; t < classes; ++t) {
    let sum = 0;
    for (let p = 0; p < classes; ++p) sum += confusion[t * classes + p];
    rowTotals.push(sum);
  }
  for (let t = 0; t < classes; ++t)
    for (let p = 0; p < classes; ++p) if (t !== p) max = Math.max(max, confusion[t * classes + p]);
  const head = `<tr><th></th>${Array.from({ length: classes }, (_, p) => `<th scope="col">${p}</th>`).join('')}</tr>`;
  const rows = [];
  for (let t = 0; t < classes; ++t) {
    const cells = [];
    for (let p = 0; p < classes; ++p) {
      const n = confusion[t * classes + p];
      let style;
      if (t === p) {
        const a = rowTotals[t] ? n / rowTotals[t] : 0;
        style = `background: rgba(15, 157, 88, ${(0.15 + 0.5 * a).toFixed(3)})`;
      } else {
        style = n ? `background: rgba(217, 48, 37, ${(0.12 + 0.7 * n / max).toFixed(3)})` : '';
      }
      cells.push(`<td class="${n ? '' : 'zero'}" style="${style}" title="true ${t}, predicted ${p}: ${n}">${n}</td>`);
    }
    rows.push(`<tr><th scope="row">${t}</th>${cells.join('')}</tr>`);
  }
  table.innerHTML = `<thead>${head}</thead><tbody>${rows.join('')}</tbody>`;
}

// items: [{offset, caption (HTML), title, wrong}] over one pixel buffer of rows x cols digits.
export function renderDigitGrid(container, pixels, rows, cols, items) {
  const frag = document.createDocumentFragment();
  for (const it of items) {
    const fig = document.createElement('figure');
    if (it.wrong) fig.className = 'wrong';
    const canvas = document.createElement('canvas');
    drawBytes(canvas, pixels, it.offset, rows, cols);
    canvas.className = 'pixelated';
    if (it.title) fig.title = it.title;
    const cap = document.createElement('figcaption');
    cap.innerHTML = it.caption;
    fig.append(canvas, cap);
    frag.append(fig);
  }
  container.replaceChildren(frag);
}

// Offers bytes as a file download called name (`ext` added if missing; '' adds nothing).
export function downloadBytes(bytes, name, ext = '.dcnn') {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = !ext || name.endsWith(ext) ? name : `${name}${ext}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// A model's weights as name.dcnn and, with a "not a digit" gate, the gate's as name-gate.dcnn
// (what `digit-cnn predict --weights name.dcnn --gate name-gate.dcnn` takes).
export function downloadWeights(bytes, gate, name) {
  downloadBytes(bytes, name);
  if (gate) downloadBytes(gate, `${name}-gate`);
}
