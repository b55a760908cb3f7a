// Unit tests of fnhost.js against a fake host (node --test): HPKE texts
// bound to the function (checked with @hpke/core and the known answers
// of tests/kat/hpke/fnh2.txt), the pin enforced before any input leaves,
// every attestation verified, errors carrying fnhost's code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import Fnhost, { FnhostError, b64Decode, b64urlEncode, textInfo } from "../src/fnhost.js";

const te = new TextEncoder();
const SUM = "6b6d1c8b21f896269554cf633da084b25b49706a8efb41463687f353e0395171";
const OTHER = "0".repeat(63) + "1";
const crypto = globalThis.crypto ?? webcrypto; // Node 18: no global
const KAT = process.env.FNHOST_KAT ?? new URL("../../../tests/kat/hpke/fnh2.txt", import.meta.url);

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305(),
});
const fromHex = (h) => Uint8Array.from(h.match(/../g).map((x) => parseInt(x, 16)));
const hex = (b) => Buffer.from(b).toString("hex");
const sha = async (b) => hex(new Uint8Array(await crypto.subtle.digest("SHA-256", b)));

function katVectors() {
  const out = [];
  let v = {};
  for (const line of readFileSync(KAT, "utf8").split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^(\w+): ?(.*)$/.exec(line);
    v[m[1]] = m[2];
    if (m[1] === "text") { out.push(v); v = {}; }
  }
  return out;
}

async function open(skHex, sum, text) {
  const raw = b64Decode(text.slice(5));
  const r = await suite.createRecipientContext({
    recipientKey: await suite.kem.deserializePrivateKey(fromHex(skHex)),
    enc: raw.slice(0, 32), info: textInfo(sum),
  });
  return new TextDecoder().decode(await r.open(raw.slice(32)));
}

// A host in memory: its keys, the requests it saw, and what it answers.
async function fakeHost({ functionChecksum = SUM, tamper } = {}) {
  const kv = katVectors()[0];
  const ed = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const edPub = new Uint8Array(await crypto.subtle.exportKey("raw", ed.publicKey));
  const seen = [];
  const reply = (status, body, headers = {}) =>
    new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers });
  const fetch = async (url, init) => {
    const path = new URL(url).pathname;
    const body = init.body ? new Uint8Array(init.body) : null;
    seen.push({ method: init.method, path, body, headers: init.headers });
    if (path === "/v1/key") {
      return reply(200, {
        encryption: { kem: "DHKEM(X25519, HKDF-SHA256)", kdf: "HKDF-SHA256", aead: "ChaCha20Poly1305",
          public_key: b64urlEncode(fromHex(kv.pkR)) },
        attestation: { alg: "Ed25519", public_key: b64urlEncode(edPub) },
      });
    }
    if (init.method === "POST" && path.endsWith("/sessions")) {
      const pin = init.headers["Fnhost-Function-Checksum"];
      if (pin && pin !== functionChecksum) {
        return reply(409, { error: { code: "checksum_mismatch", message: "pinned" } });
      }
      return reply(201, { session: "s1", function_checksum: functionChecksum, expires: 1 });
    }
    if (path === "/v1/sessions/s1/invoke") {
      const out = te.encode("answer to " + new TextDecoder().decode(body));
      const ih = await sha(body), oh = await sha(out);
      const msg = te.encode(`fnhost-attest-v1\n${functionChecksum}\n${ih}\n${oh}`);
      let sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, ed.privateKey, msg));
      const h = { "Fnhost-Function-Checksum": functionChecksum, "Fnhost-Input-Sha256": ih,
        "Fnhost-Output-Sha256": oh, "Fnhost-Attestation": Buffer.from(sig).toString("base64") };
      let o = out;
      if (tamper === "output") o = te.encode("another answer");
      if (tamper === "signature") { sig[3] ^= 1; h["Fnhost-Attestation"] = Buffer.from(sig).toString("base64"); }
      if (tamper === "none") for (const k of Object.keys(h)) delete h[k];
      if (tamper === "checksum") h["Fnhost-Function-Checksum"] = OTHER;
      return new Response(o, { status: 200, headers: h });
    }
    if (init.method === "DELETE") return new Response(null, { status: 204 });
    return reply(404, { error: { code: "no_session", message: "no session 'x'" } });
  };
  return { fetch, seen, kv };
}

test("base64url round trips, and the host's base64 signatures decode", () => {
  for (let n = 0; n < 40; n++) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    assert.deepEqual(b64Decode(b64urlEncode(b)), b);
    assert.equal(b64urlEncode(b), Buffer.from(b).toString("base64url"));
    assert.deepEqual(b64Decode(Buffer.from(b).toString("base64")), b);
  }
  assert.throws(() => b64Decode("a$b"), FnhostError);
});

test("textInfo is \"fnhost encrypt v2\" 0x00 checksum; refuses a non-checksum", () => {
  assert.equal(Buffer.from(textInfo(SUM)).toString(), "fnhost encrypt v2\0" + SUM);
  assert.throws(() => textInfo(SUM.toUpperCase()), (e) => e.code === "bad_request");
});

test("the known answers open with @hpke/core under their checksum only", async () => {
  const vs = katVectors();
  assert.ok(vs.length >= 2);
  for (const v of vs) {
    assert.equal(await open(v.skR, v.checksum, v.text), v.plaintext);
    await assert.rejects(open(v.skR, v.checksum === SUM ? OTHER : SUM, v.text));
  }
});

test("encrypt() makes an fnh2 text for the named function, or the pin", async () => {
  const h = await fakeHost();
  const c = new Fnhost({ url: "http://host", fetch: h.fetch, checksum: SUM });
  const secret = '{"latitude": 1.5, "longitude": 2.5}';
  const t1 = await c.encrypt(secret);
  assert.match(t1, /^fnh2:[A-Za-z0-9_-]+$/);
  assert.ok(!t1.includes("1.5"));
  assert.equal(await open(h.kv.skR, SUM, t1), secret);
  await assert.rejects(open(h.kv.skR, OTHER, t1));
  const t2 = await c.encrypt(secret, { function: OTHER });
  assert.equal(await open(h.kv.skR, OTHER, t2), secret);
  const bare = new Fnhost({ url: "http://host", fetch: h.fetch });
  await assert.rejects(bare.encrypt(secret), (e) => e instanceof FnhostError && e.code === "bad_request");
});

test("run() verifies the answer's attestation", async () => {
  const h = await fakeHost();
  const c = new Fnhost({ url: "http://host/", token: "t", checksum: SUM, fetch: h.fetch });
  const r = await c.run("fid", "guess");
  assert.equal(r.text, "answer to guess");
  assert.equal(r.attestation.verified, true);
  assert.equal(r.attestation.functionChecksum, SUM);
  assert.equal(r.attestation.inputSha256, await sha(te.encode("guess")));
  const inv = h.seen.find((s) => s.path.endsWith("/invoke"));
  assert.equal(inv.headers.Authorization, "Bearer t");
  assert.equal(h.seen.at(-1).method, "DELETE"); // the session is closed
});

for (const tamper of ["output", "signature", "none", "checksum"]) {
  test(`an answer with its ${tamper} altered fails as attestation_failed`, async () => {
    const h = await fakeHost({ tamper });
    const c = new Fnhost({ url: "http://host", token: "t", fetch: h.fetch });
    await assert.rejects(c.run("fid", "guess"), (e) => e.code === "attestation_failed");
  });
}

test("a checksum pin is enforced before any input leaves the client", async () => {
  const h = await fakeHost({ functionChecksum: OTHER });
  const c = new Fnhost({ url: "http://host", token: "t", checksum: SUM, fetch: h.fetch });
  await assert.rejects(c.run("fid", "my secret"), (e) => e.code === "checksum_mismatch" && e.status === 409);
  assert.ok(h.seen.every((s) => !s.path.endsWith("/invoke")));
  assert.ok(h.seen.every((s) => !s.body || !Buffer.from(s.body).includes("my secret")));
});

test("a host that opens another function despite the pin is refused, and closed", async () => {
  const h = await fakeHost({ functionChecksum: OTHER });
  const fetch = (url, init) => { delete init.headers["Fnhost-Function-Checksum"]; return h.fetch(url, init); };
  const c = new Fnhost({ url: "http://host", token: "t", checksum: SUM, fetch });
  await assert.rejects(c.connect("fid"), (e) => e.code === "checksum_mismatch");
  assert.equal(h.seen.at(-1).method, "DELETE");
  assert.ok(h.seen.every((s) => !s.path.endsWith("/invoke")));
});

test("errors carry fnhost's code and message", async () => {
  const h = await fakeHost();
  const c = new Fnhost({ url: "http://host", token: "t", fetch: h.fetch });
  const s = await c.connect("fid");
  s.id = "gone";
  await assert.rejects(s.invoke("x"), (e) => e instanceof FnhostError && e.code === "no_session" &&
    e.status === 404 && e.message === "no session 'x'");
  const bad = new Fnhost({ url: "http://host", token: "t", fetch: async () => { throw new Error("down"); } });
  await assert.rejects(bad.key(), (e) => e.code === "network");
  assert.throws(() => new Fnhost({ checksum: "abc" }), (e) => e.code === "bad_request");
});
