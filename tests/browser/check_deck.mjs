// Open an HTML slide deck in headless Chromium with no network, and report
// what reveal.js shows as one line of JSON on stdout.
//
// Usage: node tests/browser/check_deck.mjs path/to/deck.html
//
// Every request that is not a file: URL is blocked and listed in "blocked".

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TIMEOUT_MS = 15000;

// The ready state of the video behind slide `index`, or -1 when there is none.
function videoReadyState(index) {
  const video = Reveal.getSlideBackground(index, 0)?.querySelector('video');
  return video ? video.readyState : -1;
}

async function check(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.Reveal?.isReady(), null, {
    timeout: TIMEOUT_MS,
  });
  const result = await page.evaluate(() => ({
    ready: Reveal.isReady(),
    total: Reveal.getTotalSlides(),
    notes: Reveal.getSlides().map(
      (slide) => slide.querySelector('aside.notes')?.textContent.trim() ?? '',
    ),
    indexBefore: Reveal.getIndices().h,
  }));
  try {
    await page.waitForFunction((index) => {
      const video = Reveal.getSlideBackground(index, 0)?.querySelector('video');
      return video?.readyState >= 2;
    }, 0, { timeout: TIMEOUT_MS });
  } catch {
    // Too slow or no video: the ready state below tells which.
  }
  result.firstVideoReadyState = await page.evaluate(videoReadyState, 0);
  await page.keyboard.press('ArrowRight');
  result.indexAfter = await page.evaluate(() => Reveal.getIndices().h);
  return result;
}

const deck = process.argv[2];
if (!deck) {
  console.error('usage: node check_deck.mjs DECK.html');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'deck-chromium-'));
const blocked = [];
const errors = [];
let context;
let result;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  result = await check(page, pathToFileURL(resolve(deck)).href);
} catch (error) {
  result = { ready: false, failure: String(error) };
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify({ ...result, blocked, errors }));
