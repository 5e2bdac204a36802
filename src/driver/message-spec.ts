/**
 * What a connection sends and how a reply is told apart, as plain data that crosses to the workers.
 * `binary` with no template is the echo path of DESIGN.md: an 8-byte header (sequence, marker) and filler.
 */
export type PayloadKind = 'binary' | 'text';

/** How a reply names the request it answers: a JSON field, or a regular expression's first capture group. */
export type ReplyMatch = { kind: 'json'; path: string[] } | { kind: 'regex'; source: string };

export type TrafficPattern = 'echo' | 'broadcast' | 'churn';

export interface MessageSpec {
  payload: PayloadKind;
  /** A text message with `{{seq}}`, `{{conn}}`, `{{ts}}` and `{{pad}}` placeholders. */
  template?: string;
  match?: ReplyMatch;
}

export const DEFAULT_MESSAGE_SPEC: MessageSpec = { payload: 'binary' };

export const TEMPLATE_PLACEHOLDERS = ['seq', 'conn', 'ts', 'pad'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];
