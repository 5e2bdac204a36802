import type { z } from 'zod';

/** One config problem as the user reads it: `scenarios[2].rate: expected a positive number, got "fast"`. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path) || '(top level)'}: ${issue.message}`;
}

/** `scenarios[2].rate`, `targets["my server"].start`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      const text = String(key);
      if (/^[A-Za-z_$][\w$-]*$/.test(text)) return index === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join('');
}

