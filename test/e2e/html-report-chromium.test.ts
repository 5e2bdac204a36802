import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { parseReportJson } from '../../src/report/report-input.js';
import { REPO_ROOT } from '../support/cli.js';

/** Debian's `chromium` package; CI's `.ci/run` installs it. `CHROMIUM` points elsewhere. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** `WSBENCH_SCREENSHOT_DIR` keeps the screenshots to look at; by default they go to a temp folder. */
const OUT_DIR = process.env.WSBENCH_SCREENSHOT_DIR ?? mkdtempSync(path.join(tmpdir(), 'wsbench-html-'));

interface DecodedPng {
  width: number;
  height: number;
  /** Unfiltered channel bytes, row by row. */
  pixels: Uint8Array;
  channels: number;
}

/** A minimal PNG decoder (8-bit, non-interlaced, greyscale/RGB/RGBA): enough to judge a screenshot. */
function decodePng(png: Buffer): DecodedPng {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8], 'bit depth').toBe(8);
      expect(data[12], 'interlace').toBe(0);
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[data[9] ?? -1] ?? 0;
      expect(channels, `colour type ${data[9]}`).toBeGreaterThan(0);
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const left = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const upLeft = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return { width, height, pixels, channels };
}

function colourStats(png: DecodedPng): { distinct: number; inkFraction: number } {
  const seen = new Set<number>();
  let ink = 0;
  const { pixels, channels } = png;
  for (let i = 0; i < pixels.length; i += channels) {
    const r = pixels[i] ?? 0;
    const g = channels >= 3 ? (pixels[i + 1] ?? 0) : r;
    const b = channels >= 3 ? (pixels[i + 2] ?? 0) : r;
    seen.add((r << 16) | (g << 8) | b);
    if (r + g + b < 3 * 200) ink++;
  }
  return { distinct: seen.size, inkFraction: ink / (pixels.length / channels) };
}

/** Fails, not skips, without Chromium: a report that never drew must not pass CI quietly. */
function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is needed to check that the HTML report draws, and ${CHROMIUM} is missing. Install it with \`sudo apt-get install -y chromium\` (Debian/Ubuntu package \`chromium\`), or set CHROMIUM=/path/to/chromium.`);
  }
}

async function chromium(args: string[]): Promise<string> {
  const result = await execa(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], { timeout: 90_000, reject: false });
  if (result.exitCode !== 0) throw new Error(`chromium ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}`);
  return String(result.stdout);
}

const FIXTURES = [
  { name: 'run-result', charts: 4 },
  { name: 'ramp-result', charts: 4 },
  { name: 'compare-report', charts: 6 },
] as const;

describe('the HTML report in headless Chromium', () => {
  beforeAll(() => {
    mkdirSync(OUT_DIR, { recursive: true });
  });

  for (const { name, charts } of FIXTURES) {
    it(`renders ${name}.json as a page with drawn charts, not a blank screen`, async () => {
      requireChromium();
      const file = path.join(REPO_ROOT, 'test', 'fixtures', `${name}.json`);
      const htmlFile = path.join(OUT_DIR, `${name}.html`);
      writeFileSync(htmlFile, renderHtmlReport(parseReportJson(readFileSync(file, 'utf8'), file)));
      const url = pathToFileURL(htmlFile).href;
      const screenshot = path.join(OUT_DIR, `${name}.png`);

      await chromium([`--screenshot=${screenshot}`, '--window-size=1200,2000', url]);
      const png = decodePng(readFileSync(screenshot));
      expect([png.width, png.height]).toEqual([1200, 2000]);
      const { distinct, inkFraction } = colourStats(png);
      // Text antialiasing and the chart colours give hundreds of colours; a blank or failed page gives a handful.
      expect(distinct).toBeGreaterThan(100);
      expect(inkFraction).toBeGreaterThan(0.01);

      const dom = await chromium(['--dump-dom', url]);
      expect(dom.match(/<svg/g)).toHaveLength(charts);
      expect((dom.match(/<path[^>]* d="M/g) ?? []).length).toBeGreaterThanOrEqual(charts);
    });
  }
});
