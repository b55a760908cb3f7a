// fnhost.js: the JavaScript client of an fnhost host (fnhostd), one ES
// module for browsers and Node >= 18 alike: only fetch, WebCrypto and
// TextEncoder, plus @hpke/core and @hpke/chacha20poly1305 for HPKE.
//
// Every answer of an invoke is checked before it is returned: the
// function checksum the host names must be the session's (and the pin's),
// the input and output digests must be those of what was sent and
// received, and the host's Ed25519 signature over
// "fnhost-attest-v1\n" + function + "\n" + input + "\n" + output must hold
// under the attestation key of GET /v1/key (or the one given).  With a
// checksum pin, connect() checks the function's checksum before any input
// leaves the client, and run() is connect + invoke + close for the same
// reason.  Every failure is a FnhostError whose code is fnhost's error code
// ("checksum_mismatch", "not_found", ...) or one of this client's own:
// "attestation_failed", "bad_request", "bad_answer", "network".
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";

export const VERSION = "0.1.0";
export const TEXT_PREFIX = "fnh2:";
const TEXT_LABEL = "fnhost encrypt v2";
const ATTEST_LABEL = "fnhost-attest-v1";
// WebCrypto: a global in browsers and in Node >= 19; Node 18 (Debian
// 12's) has it only as node:crypto's webcrypto, imported only there.
const crypto = globalThis.crypto ?? (await import("node:crypto")).webcrypto;
const te = new TextEncoder();
const td = new TextDecoder();

export class FnhostError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.name = "FnhostError";
    this.code = code;
    this.status = status;
  }
}

const suite = () => new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

// ---- bytes -----------------------------------------------------------------

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function b64urlEncode(bytes) {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63];
    if (i + 1 < bytes.length) out += B64[(n >> 6) & 63];
  }
  return out;
}

// base64 or base64url, padded or not (the host's keys are base64url, its
// signatures base64).
export function b64Decode(s) {
  const t = s.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  if (!/^[A-Za-z0-9_-]*$/.test(t) || t.length % 4 === 1) {
    throw new FnhostError("bad_answer", "not base64");
  }
  const out = new Uint8Array(Math.floor((t.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < t.length; i += 4) {
    const c = [0, 1, 2, 3].map((k) => (i + k < t.length ? B64.indexOf(t[i + k]) : 0));
    const n = (c[0] << 18) | (c[1] << 12) | (c[2] << 6) | c[3];
    out[o++] = n >> 16;
    if (i + 2 < t.length) out[o++] = (n >> 8) & 255;
    if (i + 3 < t.length) out[o++] = n & 255;
  }
  return out;
}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function bytesOf(data) {
  if (typeof data === "string") return te.encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  throw new FnhostError("bad_request", "data must be a string, Uint8Array or ArrayBuffer");
}

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

async function sha256Hex(bytes) {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

export function checkChecksum(sum) {
  if (typeof sum !== "string" || !/^[0-9a-f]{64}$/.test(sum)) {
    throw new FnhostError("bad_request", "a function checksum is 64 lower-case hex digits");
  }
  return sum;
}

// info = "fnhost encrypt v2" || 0x00 || checksum: the text opens only for
// that function.
export function textInfo(sum) {
  return concat(te.encode(TEXT_LABEL), [0], te.encode(checkChecksum(sum)));
}

// The fnh2 text of data for the function checksum, to the X25519 public
// key (raw, 32 bytes).
export async function encryptText(publicKey, sum, data) {
  const s = suite();
  const pk = await s.kem.deserializePublicKey(publicKey);
  const sender = await s.createSenderContext({ recipientPublicKey: pk, info: textInfo(sum) });
  const ct = new Uint8Array(await sender.seal(bytesOf(data)));
  return TEXT_PREFIX + b64urlEncode(concat(new Uint8Array(sender.enc), ct));
}

// Check one answer's attestation; returns what it attests.
export async function verifyAttestation(attestKey, headers, want) {
  const get = (n) => headers.get(n);
  const fn = get("Fnhost-Function-Checksum");
  const ih = get("Fnhost-Input-Sha256");
  const oh = get("Fnhost-Output-Sha256");
  const sig = get("Fnhost-Attestation");
  const fail = (why) => { throw new FnhostError("attestation_failed", why); };
  if (!fn || !ih || !oh || !sig) fail("the answer carries no attestation");
  if (fn !== want.checksum) fail(`the answer is from function ${fn}, not ${want.checksum}`);
  if (oh !== (await sha256Hex(want.output))) fail("the output received is not the one attested");
  if (want.input !== null && ih !== (await sha256Hex(want.input))) {
    fail("the input attested is not the one sent");
  }
  const msg = te.encode(`${ATTEST_LABEL}\n${fn}\n${ih}\n${oh}`);
  let ok = false;
  try {
    ok = await crypto.subtle.verify({ name: "Ed25519" }, attestKey, b64Decode(sig), msg);
  } catch (e) {
    fail(`the signature can not be checked: ${e.message}`);
  }
  if (!ok) fail("the host's signature does not hold");
  return { functionChecksum: fn, inputSha256: ih, outputSha256: oh, signature: sig, verified: true };
}

// ---- the client ---------------------------------------------------------------

export class Fnhost {
  // url: the host ("https://fnhost.example", or "" for the page's own);
  // token: a function token; checksum: the pin (optional); attestationKey:
  // the host's Ed25519 key (base64url), else taken from GET /v1/key.
  constructor({ url = "", token, checksum, attestationKey, fetch: f } = {}) {
    const pin = checksum;
    this.url = url.replace(/\/+$/, "");
    this.token = token;
    this.checksum = pin === undefined ? undefined : checkChecksum(pin);
    this.attestationKey = attestationKey;
    this._fetch = f ?? globalThis.fetch.bind(globalThis);
    this._key = null;
  }

  async _call(method, path, { body, headers = {}, auth = true } = {}) {
    const h = { ...headers };
    if (auth) {
      if (!this.token) throw new FnhostError("unauthorized", "no token given");
      h.Authorization = `Bearer ${this.token}`;
    }
    let r;
    try {
      r = await this._fetch(this.url + path, { method, headers: h, body });
    } catch (e) {
      throw new FnhostError("network", `${method} ${path}: ${e.message}`);
    }
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (!r.ok) {
      let code = "http_" + r.status;
      let message = `${method} ${path}: HTTP ${r.status}`;
      try {
        const e = JSON.parse(td.decode(bytes)).error;
        if (e && e.code) { code = e.code; message = e.message; }
      } catch { /* not fnhost's error object */ }
      throw new FnhostError(code, message, r.status);
    }
    return { status: r.status, headers: r.headers, bytes };
  }

  // The host's public keys: { encryption: {publicKey, kem, kdf, aead},
  // attestation: {publicKey, alg} }, the keys raw.
  async key() {
    if (this._key) return this._key;
    const { bytes } = await this._call("GET", "/v1/key", { auth: false });
    let k;
    try {
      k = JSON.parse(td.decode(bytes));
    } catch {
      throw new FnhostError("bad_answer", "GET /v1/key is not JSON");
    }
    const e = k.encryption, a = k.attestation;
    if (!e || !a || e.kem !== "DHKEM(X25519, HKDF-SHA256)" || e.aead !== "ChaCha20Poly1305" ||
        a.alg !== "Ed25519") {
      throw new FnhostError("bad_answer", "the host's keys are not of fnhost's suite");
    }
    this._key = {
      encryption: { ...e, publicKey: b64Decode(e.public_key) },
      attestation: { ...a, publicKey: b64Decode(this.attestationKey ?? a.public_key) },
    };
    return this._key;
  }

  async _attestKey() {
    if (!this._ed) {
      const k = await this.key();
      this._ed = await crypto.subtle.importKey("raw", k.attestation.publicKey,
        { name: "Ed25519" }, false, ["verify"]);
    }
    return this._ed;
  }

  // data as an fnh2 text that only the function checksum (default: the
  // pin) can open on this host.
  async encrypt(data, { function: sum } = {}) {
    sum = sum ?? this.checksum;
    if (sum === undefined) {
      throw new FnhostError("bad_request", "name the function: encrypt(data, {function: CHECKSUM})");
    }
    const k = await this.key();
    return encryptText(k.encryption.publicKey, checkChecksum(sum), data);
  }

  async connect(functionId) {
    const headers = this.checksum ? { "Fnhost-Function-Checksum": this.checksum } : {};
    const { bytes } = await this._call("POST",
      `/v1/functions/${encodeURIComponent(functionId)}/sessions`, { headers });
    const o = JSON.parse(td.decode(bytes));
    const s = new Session(this, functionId, o.session, o.function_checksum);
    if (!o.session || !/^[0-9a-f]{64}$/.test(o.function_checksum ?? "") ||
        (this.checksum && o.function_checksum !== this.checksum)) {
      await s.close().catch(() => {});
      throw new FnhostError("checksum_mismatch",
        `the host opened function checksum ${o.function_checksum}, not the pinned ${this.checksum}`);
    }
    await this._attestKey(); // fail before any input goes out
    return s;
  }

  async run(functionId, data) {
    const s = await this.connect(functionId);
    try {
      return await s.invoke(data);
    } finally {
      await s.close().catch(() => {});
    }
  }
}

class Session {
  constructor(client, functionId, id, sum) {
    this.client = client;
    this.functionId = functionId;
    this.id = id;
    this.checksum = sum;
  }

  // One invoke: { output (bytes), text (UTF-8), attestation }.
  async invoke(data) {
    const input = bytesOf(data);
    const key = await this.client._attestKey();
    const { headers, bytes } = await this.client._call("POST",
      `/v1/sessions/${encodeURIComponent(this.id)}/invoke`,
      { body: input, headers: { "Content-Type": "application/octet-stream" } });
    // A whole fnh2 text is opened by the host: what it attests as the
    // input is the plaintext, which the sender of a relayed text knows
    // and this client does not.
    const sealed = td.decode(input.subarray(0, 5)) === TEXT_PREFIX;
    const attestation = await verifyAttestation(key, headers,
      { checksum: this.checksum, input: sealed ? null : input, output: bytes });
    return { output: bytes, text: td.decode(bytes), attestation };
  }

  async close() {
    await this.client._call("DELETE", `/v1/sessions/${encodeURIComponent(this.id)}`);
  }
}

export default Fnhost;
