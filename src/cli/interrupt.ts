import { EXIT_INTERRUPTED } from '../errors.js';

/**
 * Ctrl-C (SIGINT) or SIGTERM aborts the returned signal: the run stops sending, stops the target and the
 * workers, and writes what it measured. A second signal exits at once (the process `exit` hooks still
 * kill every child).
 */
export function abortOnInterrupt(onFirst?: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    onFirst?.(signal);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
