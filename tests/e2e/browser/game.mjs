// game.mjs: the far side of tests/e2e/browser.t.  Two browser contexts of
// Debian's chromium, each with its own emulated geolocation, play one
// whole hide-and-seek game on the page fnhostd serves:
//
//   node game.mjs PAGEURL HIDER_LAT HIDER_LON SEEKER_LAT SEEKER_LON SHOTDIR
//
// PAGEURL carries #f=ID&c=CHECKSUM&t=TOKEN.  The hider uses "Use my
// location" and "Hide"; the test relays the text (as a friend would); the
// seeker pastes it, uses its own location and presses Seek from the
// keyboard.  Prints one JSON object: the relayed text, the seeker's
// answer and badge, the seeker page's whole HTML and field values, the
// requests each page made and any page errors; screenshots go to
// SHOTDIR/hider.png and SHOTDIR/seeker.png.
import { chromium } from "playwright-core";

const [url, hlat, hlon, slat, slon, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  // playwright gives each launch a fresh --user-data-dir of its own.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const out = { errors: [], requests: [] };
try {
  const context = async (lat, lon) => {
    const c = await browser.newContext({
      geolocation: { latitude: Number(lat), longitude: Number(lon) },
      permissions: ["geolocation"],
      viewport: { width: 720, height: 1000 },
    });
    const p = await c.newPage();
    p.on("pageerror", (e) => out.errors.push(String(e)));
    p.on("request", (r) => out.requests.push({ url: r.url(), body: r.postData() }));
    p.on("requestfailed", (r) => out.errors.push(`${r.url()}: ${r.failure()?.errorText}`));
    await p.goto(url);
    return p;
  };
  const hider = await context(hlat, hlon);
  await hider.click("#hide-here");
  await hider.waitForFunction(() => document.getElementById("hide-lat").value !== "");
  await hider.click("#hide");
  await hider.waitForFunction(() => document.getElementById("hidden").value.startsWith("fnh2:") ||
    document.getElementById("hide-status").classList.contains("error"));
  out.hideStatus = await hider.textContent("#hide-status");
  out.text = await hider.inputValue("#hidden");
  await hider.screenshot({ path: `${shots}/hider.png`, fullPage: true });

  const seeker = await context(slat, slon);
  await seeker.fill("#friend", out.text);
  await seeker.click("#seek-here");
  await seeker.waitForFunction(() => document.getElementById("seek-lat").value !== "");
  await seeker.focus("#seek");
  await seeker.keyboard.press("Enter");
  await seeker.waitForFunction(() => document.getElementById("answer").value !== "" ||
    document.getElementById("seek-status").classList.contains("error"), null, { timeout: 30000 });
  out.answer = await seeker.textContent("#answer");
  out.badge = (await seeker.isVisible("#badge")) ? await seeker.textContent("#badge") : null;
  out.seekStatus = await seeker.textContent("#seek-status");
  out.seekerHtml = await seeker.content();
  out.seekerValues = await seeker.$$eval("input, textarea", (els) => els.map((e) => e.value));
  await seeker.screenshot({ path: `${shots}/seeker.png`, fullPage: true });
} catch (e) {
  out.errors.push(String(e.stack ?? e));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + "\n");
