import { InfrastructureError, InterruptedError, WsbenchError } from '../errors.js';

export function interruptedError(): InterruptedError {
  return new InterruptedError('INTERRUPTED', 'Interrupted; the measurements taken so far are in the result');
}

/** Anything thrown, as a WsbenchError (an unexpected one is an infrastructure failure, cause kept). */
export function asWsbenchError(error: unknown): WsbenchError {
  return error instanceof WsbenchError ? error : new InfrastructureError('UNEXPECTED', `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
