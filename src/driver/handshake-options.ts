/**
 * What the client sends and accepts on the opening handshake, the same for every connection of a run:
 * extra headers (a token, a cookie), a subprotocol, TLS trust for `wss://`, and permessage-deflate.
 * Plain data, so it crosses to the worker processes over IPC as it is.
 */
export interface HandshakeOptions {
  /** Extra request headers in the order given, e.g. `[['Authorization', 'Bearer x']]`. */
  headers: Array<[string, string]>;
  /** Offered in `Sec-WebSocket-Protocol`; the server must pick it or the handshake fails. */
  subprotocol?: string;
  /** PEM text of the CA that signed the server's certificate (read from `--ca FILE` before any load). */
  caPem?: string;
  /** Accept any server certificate (`--insecure`): for self-signed test servers only. */
  insecure: boolean;
  /** Offer permessage-deflate. Off by default: compression costs CPU on both sides and changes what is measured. */
  compression: boolean;
}

export const DEFAULT_HANDSHAKE: HandshakeOptions = { headers: [], insecure: false, compression: false };
