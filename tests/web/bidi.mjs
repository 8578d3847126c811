// A minimal WebDriver BiDi client for driving Debian's Firefox without extra packages: Firefox
// speaks BiDi itself on --remote-debugging-port, so a WebSocket is all it takes. Covers what
// the Firefox test needs: navigate, evaluate, pointer input, screenshots, console errors.

// Node 20 keeps its WebSocket behind a flag, so a small RFC 6455 client (text frames, the client
// side's masking, ping/pong, fragmentation) stands in when the global one is missing.
class MiniWebSocket {
  constructor(url) {
    const u = new URL(url);
    const key = crypto.randomBytes(16).toString('base64');
    this.buffer = Buffer.alloc(0);
    this.fragments = [];
    this.open = false;
    this.socket = net.connect(Number(u.port), u.hostname, () => {
      this.socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.socket.on('data', (d) => this.receive(d));
    this.socket.on('error', (e) => this.onerror?.(e));
  }

  receive(data) {
    this.buffer = Buffer.concat([this.buffer, data]);
    if (!this.open) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      this.buffer = this.buffer.subarray(end + 4);
      if (!/^HTTP\/1\.1 101/.test(head)) return this.onerror?.(new Error(head.split('\r\n')[0]));
      this.open = true;
      this.onopen?.();
    }
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0], b1 = this.buffer[1];
      let len = b1 & 0x7f, offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (b1 & 0x80) offset += 4;  // servers do not mask, but skip a mask if one comes
      if (this.buffer.length < offset + len) return;
      const payload = this.buffer.subarray(offset, offset + len);
      this.buffer = this.buffer.subarray(offset + len);
      const opcode = b0 & 0x0f;
      if (opcode === 0x9) this.frame(0xa, payload);
      else if (opcode === 0x8) this.socket.end();
      else if (opcode === 0x1 || opcode === 0x0) {
        this.fragments.push(payload);
        if (b0 & 0x80) {
          const text = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = [];
          this.onmessage?.({ data: text });
        }
      }
    }
  }

  frame(opcode, payload) {
    const mask = crypto.randomBytes(4);
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n])
      : n < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 255])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => {
          const b = Buffer.alloc(8);
          b.writeBigUInt64BE(BigInt(n));
          return b;
        })()]);
    const body = Buffer.from(payload);
    for (let i = 0; i < n; ++i) body[i] ^= mask[i & 3];
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  send(text) {
    this.frame(0x1, Buffer.from(text, 'utf8'));
  }

  close() {
    if (!this.socket.destroyed) {
      this.frame(0x8, Buffer.alloc(0));
      this.socket.end();
    }
  }
}
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export class Firefox {
  static async launch(executable, { width = 1280, height = 900 } = {}) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'digit-cnn-ff-'));
    fs.writeFileSync(path.join(profile, 'user.js'), [
      'user_pref("browser.shell.checkDefaultBrowser", false);',
      'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
      'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);',
      'user_pref("app.update.disabledForTesting", true);',
      'user_pref("browser.aboutwelcome.enabled", false);',
      'user_pref("network.captive-portal-service.enabled", false);',
    ].join('\n'));
    const proc = spawn(executable, ['--headless', '--no-remote', '--profile', profile,
      '--remote-debugging-port=0', `--window-size=${width},${height}`, 'about:blank'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' } });
    const wsUrl = await new Promise((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`Firefox did not start BiDi:\n${log}`)), 30000);
      const onData = (d) => {
        log += d;
        const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      proc.stderr.on('data', onData);
      proc.stdout.on('data', onData);
      proc.on('exit', (code) => reject(new Error(`Firefox exited (${code}):\n${log}`)));
    });
    const ff = new Firefox(proc, profile);
    await ff.connect(`${wsUrl.replace(/\/$/, '')}/session`);
    await ff.send('session.new', { capabilities: {} });
    const tree = await ff.send('browsingContext.getTree', {});
    ff.context = tree.contexts[0].context;
    await ff.send('browsingContext.setViewport', { context: ff.context, viewport: { width, height } });
    await ff.send('session.subscribe', { events: ['log.entryAdded'] });
    return ff;
  }

  constructor(proc, profile) {
    this.proc = proc;
    this.profile = profile;
    this.nextId = 1;
    this.pending = new Map();
    this.errors = [];
  }

  connect(url) {
    return new Promise((resolve, reject) => {
      this.ws = typeof WebSocket === 'function' ? new WebSocket(url) : new MiniWebSocket(url);
      this.ws.onopen = () => resolve();
      this.ws.onerror = (e) => reject(new Error(`BiDi connection failed: ${e.message ?? e}`));
      this.ws.onmessage = (e) => {
        const msg = JSON.parse(e.data);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.type === 'error') p?.reject(new Error(`${msg.error}: ${msg.message}`));
          else p?.resolve(msg.result);
        } else if (msg.method === 'log.entryAdded' && msg.params.level === 'error') {
          this.errors.push(msg.params.text);
        }
      };
    });
  }

  send(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async goto(url) {
    await this.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  // Evaluates an async function body in the page; its JSON-serialisable result comes back.
  async evaluate(body, arg = null) {
    const expression = `(async (arg) => { ${body} })(${JSON.stringify(arg)}).then((v) => JSON.stringify(v === undefined ? null : v))`;
    const r = await this.send('script.evaluate', { expression, target: { context: this.context }, awaitPromise: true });
    if (r.type === 'exception') throw new Error(`page: ${r.exceptionDetails.text}`);
    return JSON.parse(r.result.value);
  }

  // Retries while the body is false or throws: a page that reloads itself (the service worker
  // taking over) has no document.body for a moment.
  async waitFor(body, { timeout = 30000, interval = 100 } = {}) {
    const end = Date.now() + timeout;
    let lastError = null;
    for (;;) {
      try {
        const v = await this.evaluate(body);
        if (v) return v;
        lastError = null;
      } catch (e) {
        lastError = e;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for: ${body}${lastError ? ` (${lastError.message})` : ''}`);
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  // Mouse strokes: each a list of [x, y] viewport points.
  async drawStrokes(strokes) {
    const actions = [];
    for (const s of strokes) {
      const [x0, y0] = s[0];
      actions.push({ type: 'pointerMove', x: Math.round(x0), y: Math.round(y0) }, { type: 'pointerDown', button: 0 });
      for (const [x, y] of s.slice(1)) actions.push({ type: 'pointerMove', x: Math.round(x), y: Math.round(y), duration: 4 });
      actions.push({ type: 'pointerUp', button: 0 });
    }
    await this.send('input.performActions', {
      context: this.context,
      actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }],
    });
    await this.send('input.releaseActions', { context: this.context });
  }

  async screenshot(file) {
    const r = await this.send('browsingContext.captureScreenshot', { context: this.context, origin: 'document' });
    fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
  }

  async close() {
    try {
      await Promise.race([this.send('browser.close', {}), new Promise((r) => setTimeout(r, 3000))]);
    } catch {
      /* already gone */
    }
    this.ws?.close();
    if (this.proc.exitCode === null) this.proc.kill();
    await new Promise((r) => (this.proc.exitCode !== null ? r() : this.proc.once('exit', r)));
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}
