// The hide-and-seek page: the hider's position is encrypted here, in the
// browser, to the hide_and_seek function's checksum (fnh2), and only the
// text leaves; the seeker's page sends that text and a guess and shows
// the answer once its attestation is verified.  The function, checksum
// and token come from the fields, prefilled from the URL's fragment
// (#f=ID&c=CHECKSUM&t=TOKEN), which browsers never send to a server.
import Fnhost from "./fnhost.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.hash.slice(1));
$("fid").value = params.get("f") ?? "";
$("sum").value = params.get("c") ?? "";
$("token").value = params.get("t") ?? "";

function say(id, text, error = false) {
  $(id).textContent = text;
  $(id).classList.toggle("error", error);
}

function point(lat, lon) {
  const la = Number($(lat).value), lo = Number($(lon).value);
  if ($(lat).value.trim() === "" || !(Math.abs(la) <= 90) || !(Math.abs(lo) <= 180) ||
      $(lon).value.trim() === "") {
    throw new Error("enter a latitude (-90 to 90) and a longitude (-180 to 180)");
  }
  return { latitude: la, longitude: lo };
}

function here(lat, lon, status) {
  if (!navigator.geolocation) return say(status, "this browser has no location", true);
  say(status, "finding your location…");
  navigator.geolocation.getCurrentPosition((p) => {
    $(lat).value = String(p.coords.latitude);
    $(lon).value = String(p.coords.longitude);
    say(status, "location found");
  }, (e) => say(status, `no location: ${e.message}`, true), { timeout: 15000 });
}

// A random nonce keeps the position's digest in the signed answers from
// being guessed by trying positions.
function nonce() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_");
}

const client = () => new Fnhost({ url: "", token: $("token").value.trim(), checksum: $("sum").value.trim() });

$("hide-here").addEventListener("click", () => here("hide-lat", "hide-lon", "hide-status"));
$("seek-here").addEventListener("click", () => here("seek-lat", "seek-lon", "seek-status"));

$("hide").addEventListener("click", async () => {
  try {
    const p = point("hide-lat", "hide-lon");
    const text = await client().encrypt(JSON.stringify({ ...p, nonce: nonce() }));
    $("hidden").value = text;
    say("hide-status", "hidden: send this text to your friend");
  } catch (e) {
    say("hide-status", e.message, true);
  }
});

$("copy").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText($("hidden").value);
    say("hide-status", "copied");
  } catch {
    $("hidden").select();
    say("hide-status", "selected: copy it with Ctrl+C");
  }
});

$("seek").addEventListener("click", async () => {
  $("answer").value = "";
  $("badge").hidden = true;
  say("seek-status", "asking the host…");
  let session;
  try {
    const text = $("friend").value.trim();
    if (!text.startsWith("fnh2:")) throw new Error("paste your friend's fnh2: text");
    const guess = JSON.stringify(point("seek-lat", "seek-lon"));
    session = await client().connect($("fid").value.trim());
    await session.invoke(text);
    const r = await session.invoke(guess);
    $("answer").value = r.text;
    $("badge").textContent = `✓ attestation verified: function ${r.attestation.functionChecksum.slice(0, 12)}…`;
    $("badge").hidden = false;
    say("seek-status", "");
  } catch (e) {
    say("seek-status", `${e.code ? e.code + ": " : ""}${e.message}`, true);
  } finally {
    if (session) session.close().catch(() => {});
  }
});
