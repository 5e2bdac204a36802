/** Number formats shared by verdict reasons and reporters, so a reason and its table row agree. */

export function formatSignedPercent(value: number, digits = 1): string {
  const rounded = value.toFixed(digits);
  return `${value >= 0 && !rounded.startsWith('-') ? '+' : ''}${rounded}%`;
}

export function formatSignedPoints(value: number, digits = 3): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)} pp`;
}

/** "p = 0.0012" or "p < 0.0001", for prose. */
export function formatPEquals(p: number): string {
  const text = formatPValue(p);
  return text.startsWith('<') ? `p ${text.replace('<', '< ')}` : `p = ${text}`;
}

export function formatPValue(p: number): string {
  if (p < 0.0001) return '<0.0001';
  return p < 0.01 ? p.toFixed(4) : p.toFixed(3);
}

/** Up to 3 significant digits after the point for small values, grouped thousands for large ones. */
export function formatQuantity(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(value === 0 ? 0 : 2);
}
