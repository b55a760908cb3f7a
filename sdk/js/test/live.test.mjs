// fnhost.js against a real fnhostd (tests/e2e/sdk-js.t starts it and
// passes FNHOST_TEST_* in the environment; without them this fails).
import { test } from "node:test";
import assert from "node:assert/strict";
import Fnhost from "../src/fnhost.js";

const env = (n) => {
  const v = process.env[n];
  if (!v) throw new Error(`${n} is not set: run through tests/e2e/sdk-js.t`);
  return v;
};
const url = env("FNHOST_TEST_URL");
const HIDE = '{"latitude": 48.8584, "longitude": 2.2945, "nonce": "q7Zx"}';
const SEEK = '{"latitude": 48.8606, "longitude": 2.3376}';

test("the seed's game: the hider encrypts, the seeker's answers are attested", async () => {
  const hider = new Fnhost({ url });
  const text = await hider.encrypt(HIDE, { function: env("FNHOST_TEST_HS_SUM") });
  assert.match(text, /^fnh2:/);
  const seeker = new Fnhost({ url, token: env("FNHOST_TEST_HS_TOKEN"), checksum: env("FNHOST_TEST_HS_SUM") });
  const s = await seeker.connect(env("FNHOST_TEST_HS"));
  const first = await s.invoke(text);
  assert.equal(first.text, "");
  const second = await s.invoke(SEEK);
  await s.close();
  assert.match(second.text, /^Getting closer! still 3172\.01\d* meters away$/);
  assert.equal(second.attestation.verified, true);
});

test("a text for hide_and_seek sent to another function is refused", async () => {
  const text = await new Fnhost({ url }).encrypt(HIDE, { function: env("FNHOST_TEST_HS_SUM") });
  const echo = new Fnhost({ url, token: env("FNHOST_TEST_ECHO_TOKEN") });
  await assert.rejects(echo.run(env("FNHOST_TEST_ECHO"), text), (e) => e.code === "bad_request" &&
    e.status === 400 && e.message.includes(env("FNHOST_TEST_ECHO_SUM")) && !e.message.includes("48.8584"));
});

test("a wrong pin is refused by the host before a worker starts", async () => {
  const c = new Fnhost({ url, token: env("FNHOST_TEST_HS_TOKEN"), checksum: "0".repeat(64) });
  await assert.rejects(c.run(env("FNHOST_TEST_HS"), SEEK), (e) => e.code === "checksum_mismatch");
});
