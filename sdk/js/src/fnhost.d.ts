// Types of fnhost.js (see README.md).

export declare const VERSION: string;
/** "fnh2:": the prefix of a text sealed to one function. */
export declare const TEXT_PREFIX: string;

export type Data = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Every failure; code is fnhost's error code ("checksum_mismatch",
 * "not_found", "bad_request", ...) or this client's "attestation_failed",
 * "bad_answer", "network". */
export declare class FnhostError extends Error {
  constructor(code: string, message: string, status?: number);
  readonly code: string;
  /** The HTTP status, 0 when the failure is the client's own. */
  readonly status: number;
}

export interface FnhostOptions {
  /** The host, e.g. "https://fnhost.example"; "" is the page's own origin. */
  url?: string;
  /** A function token (`fnhost token create`). */
  token?: string;
  /** The function checksum to pin (64 lower-case hex). */
  checksum?: string;
  /** The host's Ed25519 attestation key (base64url) to trust instead of
   * GET /v1/key's. */
  attestationKey?: string;
  /** A fetch to use instead of globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface HostKey {
  encryption: { publicKey: Uint8Array; kem: string; kdf: string; aead: string; public_key: string };
  attestation: { publicKey: Uint8Array; alg: string; public_key: string };
}

export interface Attestation {
  functionChecksum: string;
  inputSha256: string;
  outputSha256: string;
  /** base64 Ed25519 signature */
  signature: string;
  verified: true;
}

export interface Result {
  output: Uint8Array;
  /** output as UTF-8 */
  text: string;
  attestation: Attestation;
}

export interface Session {
  readonly id: string;
  readonly functionId: string;
  readonly checksum: string;
  invoke(data: Data): Promise<Result>;
  close(): Promise<void>;
}

export declare class Fnhost {
  constructor(options?: FnhostOptions);
  readonly checksum?: string;
  key(): Promise<HostKey>;
  /** An fnh2 text that only the function with that checksum (default:
   * the pin) can open on this host. */
  encrypt(data: Data, options?: { function?: string }): Promise<string>;
  connect(functionId: string): Promise<Session>;
  /** connect + invoke + close. */
  run(functionId: string, data: Data): Promise<Result>;
}

export declare function encryptText(publicKey: Uint8Array, checksum: string, data: Data): Promise<string>;
export declare function textInfo(checksum: string): Uint8Array;
export declare function checkChecksum(checksum: string): string;
export declare function verifyAttestation(
  key: CryptoKey,
  headers: { get(name: string): string | null },
  want: { checksum: string; input: Uint8Array | null; output: Uint8Array },
): Promise<Attestation>;
export declare function b64urlEncode(bytes: Uint8Array): string;
export declare function b64Decode(text: string): Uint8Array;

export default Fnhost;
