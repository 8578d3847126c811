// The drawing pad: pointer events (mouse, touch, pen), round anti-aliased strokes whose width is
// a fixed fraction of the pad, dark ink on a transparent canvas, which core's ink_from_rgba reads
// as ink on paper. The pen is thin (5% of the pad): core's preprocess_drawing thickens a large
// drawing's strokes to MNIST's width, while a small drawing keeps its loops open (a bolder pen
// fills them, and nothing can recover them afterwards).
//
// Two fingers are a pinch (the browser zooms: the canvas allows touch-action pinch-zoom), never a
// stroke: a stroke that a second finger joins, or that the browser cancels, is taken back.
//
// Events: "change" after ink is added or taken back, "clear" when emptied, "strokestart" when a
// stroke begins.
const INK = '#15171c';

export class DrawingPad extends EventTarget {
  constructor(canvas, { strokeFraction = 0.05 } = {}) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.strokeFraction = strokeFraction;
    this.pointerId = null;
    this.touches = new Set();  // pointers down on the pad; more than one is a pinch
    this.before = null;        // {pixels, inked} as they were when the current stroke began
    this.last = null;      // last point of the current stroke
    this.lastMid = null;   // midpoint where the previous curve segment ended
    this.inked = false;
    this.photo = false;    // showing a photo instead of a drawing
    this.strokeList = [];  // the strokes drawn: lists of [x, y] in [0, 1] of the pad's size
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas);

    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    canvas.addEventListener('lostpointercapture', (e) => this.up(e));
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  isEmpty() {
    return !this.inked;
  }

  // Backing store follows the displayed size times the device pixel ratio; drawn ink is kept.
  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(rect.width * dpr));
    const h = Math.max(1, Math.round(rect.height * dpr));
    if (w === this.canvas.width && h === this.canvas.height) return;
    let copy = null;
    if (this.inked) {
      copy = document.createElement('canvas');
      copy.width = this.canvas.width;
      copy.height = this.canvas.height;
      copy.getContext('2d').drawImage(this.canvas, 0, 0);
    }
    this.canvas.width = w;
    this.canvas.height = h;
    if (copy) this.ctx.drawImage(copy, 0, 0, w, h);
  }

  lineWidth() {
    return this.strokeFraction * Math.min(this.canvas.width, this.canvas.height);
  }

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - rect.left) * this.canvas.width) / rect.width,
      y: ((e.clientY - rect.top) * this.canvas.height) / rect.height,
    };
  }

  down(e) {
    if (e.pointerType === 'touch') this.touches.add(e.pointerId);
    if (this.touches.size > 1) return this.takeBack();
    if (this.pointerId !== null) return;         // one stroke at a time
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    if (this.photo) this.clear();
    this.before = { pixels: this.pixels(), inked: this.inked };
    this.pointerId = e.pointerId;
    this.canvas.setPointerCapture?.(e.pointerId);
    const p = this.point(e);
    this.last = p;
    this.lastMid = p;
    this.strokeList.push([this.relative(p)]);
    this.dispatchEvent(new Event('strokestart'));
    // A dot, so that a tap leaves ink too.
    const c = this.ctx;
    c.fillStyle = INK;
    c.beginPath();
    c.arc(p.x, p.y, this.lineWidth() / 2, 0, Math.PI * 2);
    c.fill();
    this.ink();
  }

  move(e) {
    if (e.pointerId !== this.pointerId) return;
    e.preventDefault();
    const events = e.getCoalescedEvents?.() ?? [];
    for (const ce of events.length ? events : [e]) this.extend(this.point(ce));
    this.ink();
  }

  up(e) {
    this.touches.delete(e.pointerId);
    if (e.pointerId !== this.pointerId) return;
    if (e.type === 'pointercancel') return this.takeBack();
    if (e.type === 'pointerup') this.extend(this.point(e), true);
    this.pointerId = null;
    this.before = null;
    this.last = this.lastMid = null;
    this.ink();
  }

  // Undoes the stroke in progress (a pinch or a cancelled touch is not ink).
  takeBack() {
    if (this.pointerId === null || !this.before) return;
    this.canvas.releasePointerCapture?.(this.pointerId);
    this.pointerId = null;
    this.last = this.lastMid = null;
    const { pixels, inked } = this.before;
    this.before = null;
    this.strokeList.pop();
    if (pixels.width === this.canvas.width && pixels.height === this.canvas.height) this.ctx.putImageData(pixels, 0, 0);
    if (!inked) this.clear();
    else this.dispatchEvent(new Event('change'));
  }

  // Quadratic curve through the midpoints of successive points: smooth strokes without lag.
  extend(p, final = false) {
    if (!this.last) return;
    if (!final && Math.hypot(p.x - this.last.x, p.y - this.last.y) < 0.5) return;
    const mid = final ? p : { x: (this.last.x + p.x) / 2, y: (this.last.y + p.y) / 2 };
    const c = this.ctx;
    c.strokeStyle = INK;
    c.lineWidth = this.lineWidth();
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(this.lastMid.x, this.lastMid.y);
    c.quadraticCurveTo(this.last.x, this.last.y, mid.x, mid.y);
    c.stroke();
    this.last = p;
    this.lastMid = mid;
    this.strokeList[this.strokeList.length - 1]?.push(this.relative(p));
  }

  relative(p) {
    return [+(p.x / this.canvas.width).toFixed(4), +(p.y / this.canvas.height).toFixed(4)];
  }

  // The strokes of the drawing (none for a photo), as lists of [x, y] in [0, 1] of the pad.
  strokes() {
    return this.photo ? [] : this.strokeList.map((s) => s.slice());
  }

  ink() {
    this.inked = true;
    this.dispatchEvent(new Event('change'));
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokeList = [];
    this.inked = false;
    this.photo = false;
    this.pointerId = null;
    this.before = null;
    this.last = this.lastMid = null;
    this.dispatchEvent(new Event('clear'));
  }

  // Shows an image (a dropped photo) fitted into the pad; the next stroke clears it.
  showImage(image) {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const s = Math.min(this.canvas.width / image.width, this.canvas.height / image.height);
    const w = image.width * s, h = image.height * s;
    this.ctx.drawImage(image, (this.canvas.width - w) / 2, (this.canvas.height - h) / 2, w, h);
    this.inked = true;
    this.photo = true;
  }

  // The pixels, for core's preprocessing.
  pixels() {
    return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }
}
