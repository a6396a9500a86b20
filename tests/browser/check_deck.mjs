// Open an HTML slide deck in headless Chromium with no network, and report
// what reveal.js shows and what the slide videos play, as one line of JSON on
// stdout.
//
// Usage: node tests/browser/check_deck.mjs path/to/deck.html
//
// Every request that is not a file: URL is blocked and listed in "blocked".
// The first slide's video is looked at before any key ("before"), after the
// first key press, C ("afterKey": sound on, captions to the next language or
// off), after a second C ("afterSecondKey"), and after ArrowRight, on the
// second slide ("next"). Each look tells whether the video is muted or paused,
// how many audio bytes it has decoded, and its caption tracks.

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
const PLAY_TIMEOUT_MS = 5000;

// The video behind slide `index`, or -1 / null when there is none.
function videoReadyState(index) {
  const video = Reveal.getSlideBackground(index, 0)?.querySelector('video');
  return video ? video.readyState : -1;
}

function videoState(index) {
  const video = Reveal.getSlideBackground(index, 0)?.querySelector('video');
  if (!video) return null;
  const elements = [...video.querySelectorAll('track')];
  return {
    muted: video.muted,
    paused: video.paused,
    ended: video.ended,
    currentTime: video.currentTime,
    readyState: video.readyState,
    audioBytes: video.webkitAudioDecodedByteCount ?? null,
    tracks: [...video.textTracks].map((track, i) => ({
      kind: track.kind,
      srclang: track.language,
      label: track.label,
      default: elements[i]?.default ?? null,
      mode: track.mode,
      readyState: elements[i]?.readyState ?? null,
      cues: track.cues ? track.cues.length : null,
    })),
  };
}

// Waits until slide `index` has a video whose caption tracks have loaded
// (if its slide has captions), and returns whether that happened in time.
async function waitForVideo(page, index) {
  try {
    await page.waitForFunction((i) => {
      const video = Reveal.getSlideBackground(i, 0)?.querySelector('video');
      if (!(video?.readyState >= 2)) return false;
      const slide = Reveal.getSlides()[i];
      const captioned = [...slide.attributes].some((a) =>
        a.name.startsWith('data-captions-'));
      const tracks = [...video.querySelectorAll('track')];
      return !captioned || (tracks.length > 0 && tracks.every((t) => t.readyState >= 2));
    }, index, { timeout: TIMEOUT_MS });
    return true;
  } catch {
    return false; // too slow or no video: the report tells which
  }
}

// Waits until slide `index` has played half a second with sound: unmuted,
// playing, audio decoded.
async function waitForSound(page, index) {
  try {
    await page.waitForFunction((i) => {
      const video = Reveal.getSlideBackground(i, 0)?.querySelector('video');
      return video && !video.muted && !video.paused && video.currentTime >= 0.5
        && video.webkitAudioDecodedByteCount > 0;
    }, index, { timeout: PLAY_TIMEOUT_MS });
  } catch {
    // The state in the report says what is missing.
  }
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
  await waitForVideo(page, 0);
  result.firstVideoReadyState = await page.evaluate(videoReadyState, 0);
  result.before = await page.evaluate(videoState, 0);

  await page.keyboard.press('c'); // the first key press: sound on
  await waitForSound(page, 0);
  result.afterKey = await page.evaluate(videoState, 0);
  await page.keyboard.press('c');
  result.afterSecondKey = await page.evaluate(videoState, 0);

  await page.keyboard.press('ArrowRight');
  result.indexAfter = await page.evaluate(() => Reveal.getIndices().h);
  await waitForVideo(page, result.indexAfter);
  await waitForSound(page, result.indexAfter);
  result.next = await page.evaluate(videoState, result.indexAfter);
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
