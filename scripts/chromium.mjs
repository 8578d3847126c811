// Headless Chromium as the browser tests and benchmarks launch it: Debian's chromium (or
// $CHROMIUM) driven by playwright-core, with the flags that keep it off the network.
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// playwright-core is imported on first use, so that importers that never open a browser (the
// wasm tests under Node) do not need it.
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}
