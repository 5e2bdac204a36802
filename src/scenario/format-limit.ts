/** 2000000 → "2,000,000": limits in messages read best with separators. */
export function formatLimit(value: number): string {
  return value.toLocaleString('en-US');
}
