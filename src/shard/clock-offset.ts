/** A clock further off than this is named in a warning (the offset is corrected either way). */
export const CLOCK_OFFSET_WARN_MS = 100;

export function clockWarning(name: string, offsetMs: number): string {
  return `${name}'s clock is ${Math.abs(Math.round(offsetMs))} ms ${offsetMs < 0 ? 'behind' : 'ahead of'} shard 0's (measured at the rendezvous; its start and timeline are corrected by it, but fix the host's NTP)`;
}
