import { InfrastructureError } from '../errors.js';

/** Rejects after `ms` with a STEP_TIMEOUT error, so a stuck open or phase cannot hang the command. */
export function watchdog(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InfrastructureError('STEP_TIMEOUT', `${what} did not finish within ${Math.round(ms / 1000)} s; stopping so the command cannot hang`)), ms);
  });
  promise.catch(() => {});
  return { promise, cancel: () => clearTimeout(timer) };
}
