// node mk/app.mjs NODE_MODULES OUTDIR: assemble the static app directory
// that fnhostd's app_dir serves (GET /app/...): web/* as they are, the
// JavaScript client (sdk/js/src/fnhost.js) and the ES modules of its HPKE
// dependencies from NODE_MODULES, so the page works offline from the host
// alone.  Browsers do not resolve bare specifiers ("@hpke/core") without
// an import map, which the page's CSP (script-src 'self') would refuse
// inline, so each import of an @hpke package is rewritten to the relative
// path of the copy.  Only .js files of the packages' esm/ trees are
// copied.  Prints the bytes of the page's own files and of the whole.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const top = join(dirname(fileURLToPath(import.meta.url)), "..");
const [nodeModules, out] = process.argv.slice(2);
if (!nodeModules || !out) {
  process.stderr.write("usage: node mk/app.mjs NODE_MODULES OUTDIR\n");
  process.exit(2);
}
const PACKAGES = ["core", "common", "chacha20poly1305"];
const vendor = (pkg) => join(out, "hide-and-seek", "vendor", "hpke", pkg);

function walk(dir, f) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, f);
    else f(p);
  }
}

// Rewrite `... from "@hpke/x"` at the start of an import/export line
// (never in comments) to the copy's mod.js, relative to file.
function rewrite(text, file) {
  return text.replace(/^(\s*(?:import|export|\})[^\n]*?\bfrom\s+)"@hpke\/([\w-]+)"/gm, (m, head, pkg) => {
    if (!PACKAGES.includes(pkg)) throw new Error(`${file}: imports @hpke/${pkg}`);
    let rel = relative(dirname(file), join(vendor(pkg), "mod.js"));
    if (!rel.startsWith(".")) rel = "./" + rel;
    return `${head}"${rel}"`;
  });
}

rmSync(out, { recursive: true, force: true });
let own = 0, total = 0;
walk(join(top, "web"), (src) => {
  const dst = join(out, relative(join(top, "web"), src));
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(src, dst);
  own += statSync(src).size;
});
const client = join(out, "hide-and-seek", "fnhost.js");
writeFileSync(client, rewrite(readFileSync(join(top, "sdk", "js", "src", "fnhost.js"), "utf8"), client));
own += statSync(client).size;
for (const pkg of PACKAGES) {
  const esm = join(nodeModules, "@hpke", pkg, "esm");
  walk(esm, (src) => {
    if (!src.endsWith(".js")) return;
    const dst = join(vendor(pkg), relative(esm, src));
    mkdirSync(dirname(dst), { recursive: true });
    writeFileSync(dst, rewrite(readFileSync(src, "utf8"), dst));
  });
}
walk(out, (p) => { total += statSync(p).size; });
process.stdout.write(`app ${out}: page and client ${own} bytes, ${total} with the HPKE modules\n`);
