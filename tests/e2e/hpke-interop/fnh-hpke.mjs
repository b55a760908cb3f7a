// fnh-hpke.mjs: the far side of tests/e2e/hpke-interop.t, built on an
// independent HPKE implementation (@hpke/core with @hpke/chacha20poly1305),
// speaking fnhost's two envelopes as host/hpke.h defines them.
//
//   node fnh-hpke.mjs keygen                       -> "SKHEX PKHEX"
//   node fnh-hpke.mjs encrypt PKHEX SUM MSG [LABEL] -> fnh2 text of MSG
//   node fnh-hpke.mjs decrypt SKHEX SUM TEXT [LABEL] -> plaintext of TEXT
//   node fnh-hpke.mjs encrypt-v1 PKHEX MSG         -> an old fnh1 text
//   node fnh-hpke.mjs kat FILE                     -> "ok N" (fnh2.txt)
//   node fnh-hpke.mjs ohttp-request KEYID PKHEX SUM MSG REQFILE STATEFILE
//   node fnh-hpke.mjs ohttp-serve KEYID SKHEX SUM REQFILE RESPFILE OUTMSG
//   node fnh-hpke.mjs ohttp-response STATEFILE RESPFILE
//   node fnh-hpke.mjs ed25519-verify PKB64URL MSGFILE SIGB64  -> "ok"
//
// ed25519-verify checks an fnhost attestation with node's own Ed25519
// (OpenSSL underneath, but none of fnhost's code): the signed text is
// the file's bytes, the key raw and base64url, the signature base64.
//
// SUM is the function's checksum (64 lower-case hex) that the text or
// request is bound to: info = LABEL || 0x00 || SUM for texts, and
// "fnhost request" || 0x00 || hdr || SUM for requests.  LABEL defaults
// to fnhost's "fnhost encrypt v2"; another one is for testing that the C
// side refuses it.  kat re-derives every vector of tests/kat/hpke/fnh2.txt
// with @hpke/core (the ephemeral key from ikmE) and compares the text.  Errors go to stderr, exit 1.
import { readFileSync, writeFileSync } from "node:fs";
import { createPublicKey, hkdfSync, randomBytes, verify } from "node:crypto";
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";

const te = new TextEncoder();
const TEXT_LABEL = "fnhost encrypt v2";
const REQ_LABEL = "fnhost request";
const RESP_LABEL = "fnhost response";
const HDR_LEN = 7;
const NENC = 32;

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

function fromHex(hex, what) {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`${what}: not hex`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

const hex = (b) => Buffer.from(b).toString("hex");
const concat = (...parts) => Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p))));

// base64url without padding, both ways, refusing anything else.
const b64url = (b) => Buffer.from(b).toString("base64url");
function unb64url(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error("bad base64url");
  const b = Buffer.from(s, "base64url");
  if (b.toString("base64url") !== s) throw new Error("bad base64url");
  return Uint8Array.from(b);
}

async function keygen() {
  const kp = await suite.kem.generateKeyPair();
  const sk = await suite.kem.serializePrivateKey(kp.privateKey);
  const pk = await suite.kem.serializePublicKey(kp.publicKey);
  return `${hex(new Uint8Array(sk))} ${hex(new Uint8Array(pk))}\n`;
}

function checksum(sum) {
  if (!/^[0-9a-f]{64}$/.test(sum)) throw new Error("not a function checksum");
  return te.encode(sum);
}

const textInfo = (sum, label = TEXT_LABEL) => concat(te.encode(label), [0], checksum(sum));

async function seal(pk, info, msg, ekm) {
  const params = { recipientPublicKey: pk, info };
  if (ekm !== undefined) params.ekm = ekm;
  const sender = await suite.createSenderContext(params);
  const ct = await sender.seal(te.encode(msg));
  return b64url(concat(sender.enc, new Uint8Array(ct)));
}

async function encrypt(pkHex, sum, msg, label = TEXT_LABEL) {
  const pk = await suite.kem.deserializePublicKey(fromHex(pkHex, "public key"));
  return "fnh2:" + await seal(pk, textInfo(sum, label), msg) + "\n";
}

// The text fnhost made before texts named their function.
async function encryptV1(pkHex, msg) {
  const pk = await suite.kem.deserializePublicKey(fromHex(pkHex, "public key"));
  return "fnh1:" + await seal(pk, te.encode("fnhost encrypt v1"), msg) + "\n";
}

async function kat(file) {
  const vectors = [];
  let v = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\w+): ?(.*)$/.exec(line);
    if (!m) throw new Error(`${file}: bad line ${line}`);
    v[m[1]] = m[2];
    if (m[1] === "text") { vectors.push(v); v = {}; }
  }
  for (const k of vectors) {
    const kp = await suite.kem.deriveKeyPair(fromHex(k.ikmR, "ikmR"));
    const pk = hex(new Uint8Array(await suite.kem.serializePublicKey(kp.publicKey)));
    if (pk !== k.pkR) throw new Error(`pkR ${pk}, file says ${k.pkR}`);
    const text = "fnh2:" + await seal(kp.publicKey, textInfo(k.checksum), k.plaintext,
      fromHex(k.ikmE, "ikmE"));
    if (text !== k.text) throw new Error(`got ${text}, file says ${k.text}`);
    const sk = hex(new Uint8Array(await suite.kem.serializePrivateKey(kp.privateKey)));
    const pt = (await decrypt(sk, k.checksum, k.text)).toString("utf8");
    if (pt !== k.plaintext) throw new Error(`decrypted ${pt}`);
  }
  if (vectors.length === 0) throw new Error("no vectors");
  return `ok ${vectors.length}\n`;
}

async function decrypt(skHex, sum, text, label = TEXT_LABEL) {
  const info = textInfo(sum, label);
  if (!text.startsWith("fnh2:")) throw new Error("not an fnh2: text");
  const raw = unb64url(text.slice(5));
  if (raw.length < NENC + 16) throw new Error("too short");
  const sk = await suite.kem.deserializePrivateKey(fromHex(skHex, "private key"));
  const recipient = await suite.createRecipientContext({
    recipientKey: sk,
    enc: raw.slice(0, NENC),
    info,
  });
  return Buffer.from(await recipient.open(raw.slice(NENC)));
}

function header(keyId) {
  return Uint8Array.from([keyId, 0x00, 0x20, 0x00, 0x01, 0x00, 0x03]);
}

const requestInfo = (hdr, sum) => concat(te.encode(REQ_LABEL), [0], hdr, checksum(sum));

// RFC 9458 section 4.4, with fnhost's label: the response's AEAD key and
// nonce from the exported secret, enc and the response nonce.  Node's
// HKDF does Extract then Expand; each call repeats the same Extract.
function responseKeys(secret, enc, nonce) {
  const salt = concat(enc, nonce);
  return {
    key: new Uint8Array(hkdfSync("sha256", secret, salt, "key", 32)),
    iv: new Uint8Array(hkdfSync("sha256", secret, salt, "nonce", 12)),
  };
}

async function ohttpRequest(keyId, pkHex, sum, msg, reqFile, stateFile) {
  const hdr = header(Number(keyId));
  const pk = await suite.kem.deserializePublicKey(fromHex(pkHex, "public key"));
  const sender = await suite.createSenderContext({
    recipientPublicKey: pk,
    info: requestInfo(hdr, sum),
  });
  const ct = await sender.seal(te.encode(msg));
  const secret = await sender.export(te.encode(RESP_LABEL), 32);
  writeFileSync(reqFile, concat(hdr, sender.enc, new Uint8Array(ct)));
  writeFileSync(stateFile, JSON.stringify({
    enc: hex(new Uint8Array(sender.enc)),
    secret: hex(new Uint8Array(secret)),
  }));
  return "";
}

async function ohttpServe(keyId, skHex, sum, reqFile, respFile, out) {
  const req = Uint8Array.from(readFileSync(reqFile));
  const hdr = header(Number(keyId));
  if (req.length < HDR_LEN + NENC + 16) throw new Error("request too short");
  if (Buffer.compare(req.slice(0, HDR_LEN), hdr) !== 0) throw new Error("bad request header");
  const enc = req.slice(HDR_LEN, HDR_LEN + NENC);
  const sk = await suite.kem.deserializePrivateKey(fromHex(skHex, "private key"));
  const recipient = await suite.createRecipientContext({
    recipientKey: sk,
    enc,
    info: requestInfo(hdr, sum),
  });
  const input = Buffer.from(await recipient.open(req.slice(HDR_LEN + NENC)));
  const secret = new Uint8Array(await recipient.export(te.encode(RESP_LABEL), 32));
  const nonce = new Uint8Array(randomBytes(32));
  const { key, iv } = responseKeys(secret, enc, nonce);
  const aead = new Chacha20Poly1305().createEncryptionContext(key);
  const ct = await aead.seal(iv, te.encode(out), new Uint8Array(0));
  writeFileSync(respFile, concat(nonce, new Uint8Array(ct)));
  return input;
}

async function ohttpResponse(stateFile, respFile) {
  const st = JSON.parse(readFileSync(stateFile, "utf8"));
  const resp = Uint8Array.from(readFileSync(respFile));
  if (resp.length < 32 + 16) throw new Error("response too short");
  const { key, iv } = responseKeys(fromHex(st.secret, "secret"),
    fromHex(st.enc, "enc"), resp.slice(0, 32));
  const aead = new Chacha20Poly1305().createEncryptionContext(key);
  return Buffer.from(await aead.open(iv, resp.slice(32), new Uint8Array(0)));
}

function ed25519Verify(pkB64url, msgFile, sigB64) {
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: pkB64url },
    format: "jwk",
  });
  const sig = Buffer.from(sigB64, "base64");
  if (!verify(null, readFileSync(msgFile), key, sig)) throw new Error("signature does not verify");
  return "ok\n";
}

const commands = {
  keygen: [0, keygen],
  encrypt: [3, encrypt],
  decrypt: [3, decrypt],
  "encrypt-v1": [2, encryptV1],
  kat: [1, kat],
  "ohttp-request": [6, ohttpRequest],
  "ohttp-serve": [6, ohttpServe],
  "ohttp-response": [2, ohttpResponse],
  "ed25519-verify": [3, ed25519Verify],
};

const [cmd, ...args] = process.argv.slice(2);
const spec = commands[cmd];
if (spec === undefined || (args.length !== spec[0] &&
    !(args.length === 4 && (cmd === "encrypt" || cmd === "decrypt")))) {
  process.stderr.write("fnh-hpke: bad command or arguments\n");
  process.exit(2);
}
try {
  process.stdout.write(await spec[1](...args));
} catch (e) {
  process.stderr.write(`fnh-hpke: ${cmd}: ${e.message}\n`);
  process.exit(1);
}
