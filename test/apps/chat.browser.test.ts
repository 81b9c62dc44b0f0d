/**
 * The live chat demo in a real browser (Debian's chromium, driven by playwright-core), when
 * chromium is installed (apt-get install chromium): two tabs chat through the bus, over the
 * websocket that the master hands to the long-polling worker.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, ServerProcess } from '../helpers/server.js';

afterEach(killAll);

const CHROMIUM = '/usr/bin/chromium';

describe.runIf(existsSync(CHROMIUM))('/chat in two browser tabs', () => {
  it('a message typed in one tab appears in both, over the websocket', async () => {
    const { chromium } = await import('playwright-core');
    const server = await ServerProcess.start(['--workers', '2', '--max-cron-threads', '0']);
    await server.waitForLog((l) => /^Evented Service \(longpolling\)/.test(l.msg));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const context = await browser.newContext();
      const [alice, bob] = [await context.newPage(), await context.newPage()];
      for (const page of [alice, bob]) {
        await page.goto(server.url('/chat?room=test'));
        await page.waitForFunction("document.getElementById('transport')?.textContent === 'websocket'", undefined, { timeout: 20_000 });
      }
      await alice.fill('#name', 'alice');
      await alice.fill('#text', 'hello from alice');
      await alice.press('#text', 'Enter');
      for (const page of [alice, bob]) {
        await page.waitForFunction("document.getElementById('log')?.textContent?.includes('alice: hello from alice')", undefined, { timeout: 20_000 });
      }
      expect(await bob.textContent('#log')).toContain('alice: hello from alice');
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
