import { parsePrometheusText } from './prometheus-text.js';
import type { PrometheusFamily } from './prometheus-text.js';

export const DEFAULT_SCRAPE_TIMEOUT_MS = 800;

export interface ScrapeOptions {
  /** @default 800 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

export interface Scrape {
  families: PrometheusFamily[];
  /** Lines that could not be parsed; the rest of the scrape is still used. */
  parseErrors: number;
}

/** One GET of a Prometheus endpoint. Throws an Error whose message says what went wrong, in one line. */
export async function scrapeMetrics(url: string, options: ScrapeOptions = {}): Promise<Scrape> {
  const fetchMetrics = options.fetch ?? globalThis.fetch;
  try {
    const response = await fetchMetrics(url, {
      // Uncompressed: gzip would cost the server ~1 MB of allocations on some scrapes (client_golang).
      headers: { accept: 'text/plain;version=0.0.4', 'accept-encoding': 'identity' },
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS),
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
    const { families, errors } = parsePrometheusText(body);
    return { families, parseErrors: errors.length };
  } catch (error) {
    throw new Error(describeScrapeError(error, url), { cause: error });
  }
}

function describeScrapeError(error: unknown, url: string): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `scraping ${url} timed out`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}
