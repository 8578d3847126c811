// A minimal WebDriver BiDi client for driving Debian's Firefox without extra packages: Firefox
// speaks BiDi itself on --remote-debugging-port, so a WebSocket is all it takes. Covers what
// the Firefox test needs: navigate, evaluate, pointer input, screenshots, console errors.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class Firefox {
  static async launch(executable, { width = 1280, height = 900 } = {}) {
    if (typeof WebSocket !== 'function') throw new Error('this Node has no WebSocket (use Node >= 22 or --experimental-websocket)');
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
      this.ws = new WebSocket(url);
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

  async waitFor(body, { timeout = 30000, interval = 100 } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await this.evaluate(body);
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for: ${body}`);
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
