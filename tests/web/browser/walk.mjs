// The web editor's walk in a real browser: Debian's chromium, headless, driven by
// playwright-core; axe-core on every page (serious or critical findings fail the walk).
//
//   node tests/web/browser/walk.mjs target/debug/dmptool
//
// Starts the binary on a free port in a temporary data dir, walks as the first
// administrator, a researcher and a colleague, and writes a PNG per step to a folder it
// prints. Exits non-zero on the first failure.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateRawSync } from "node:zlib";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const bin = resolve(process.argv[2] || "target/debug/dmptool");
const ADMIN_PW = "walk-admin-password-1";
const PW = "walk-user-password-1";

const work = mkdtempSync(join(tmpdir(), "dmptool-walk-"));
const shots = join(work, "screenshots");
mkdirSync(shots);
console.log(`screenshots: ${shots}`);

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); });
    s.on("error", fail);
  });
}

function check(cond, what) {
  if (!cond) { throw new Error(`check failed: ${what}`); }
}

// The messages of a catalogue with no arguments: id -> value.
function messages(lang) {
  const src = readFileSync(join(here, "../../../assets/web/i18n", `${lang}.ftl`), "utf8");
  const out = new Map();
  for (const line of src.split("\n")) {
    if (/^[a-z]/.test(line) && !line.includes("{") && line.includes(" = ")) {
      const [k, ...v] = line.split(" = ");
      out.set(k.trim(), v.join(" = ").trim());
    }
  }
  return out;
}

// A file inside a ZIP (DOCX) by name.
function unzip(buf, name) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) { eocd--; }
  check(eocd >= 0, "a ZIP file");
  let at = buf.readUInt32LE(eocd + 16);
  const n = buf.readUInt16LE(eocd + 10);
  for (let i = 0; i < n; i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const entry = buf.toString("utf8", at + 46, at + 46 + nameLen);
    if (entry === name) {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString("utf8");
    }
    at += 46 + nameLen + extra + comment;
  }
  throw new Error(`${name} not in the ZIP`);
}

let step = 0;
const violations = [];
async function visit(page, name) {
  await page.waitForLoadState("load");
  step += 1;
  const file = join(shots, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  const result = await page.evaluate(`${axeSource}\n;axe.run(document, { resultTypes: ["violations"] })`);
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) {
    violations.push(`${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }
  console.log(`step ${step} ${name}: ${page.url()} — axe: ${result.violations.length} finding(s), ${bad.length} serious/critical`);
}

function watch(page, label) {
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) { violations.push(`${label}: CSP: ${m.text()}`); }
  });
  page.on("pageerror", (e) => violations.push(`${label}: script error: ${e.message}`));
  page.on("request", (r) => {
    // chrome:// and chrome-extension:// are the browser's own PDF viewer, not the page.
    if (!/^(data:|blob:|chrome:|chrome-extension:)/.test(r.url()) && !r.url().startsWith(base)) {
      violations.push(`${label}: a request left the origin: ${r.url()}`);
    }
  });
}

// Clicks Save and waits for the script's save that carries `text` to succeed.
async function save(page, text) {
  const done = page.waitForResponse((r) => r.request().method() === "POST"
    && r.request().headers()["accept"] === "application/json"
    && (r.request().postData() || "").includes(encodeURIComponent(text).replace(/%20/g, "+"))
    && r.status() === 200, { timeout: 10000 });
  await page.getByRole("button", { name: "Save" }).first().click();
  await done;
}

async function login(page, user, pw) {
  await page.goto(base + "/");
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(pw);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("link", { name: "New plan" }).waitFor();
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(bin, ["--data", join(work, "data"), "serve", "--port", String(port)], {
  env: { ...process.env, DMPTOOL_ADMIN_PASSWORD: ADMIN_PW, DMPTOOL_LOG_FORMAT: "json" },
  stdio: ["ignore", "ignore", "pipe"],
});
let serverLog = "";
server.stderr.on("data", (d) => { serverLog += d; });

let browser;
let failed = false;
try {
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(base + "/health"); if (r.ok) { break; } } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
  });
  const en = await browser.newContext({ locale: "en-GB", acceptDownloads: true, viewport: { width: 1280, height: 900 } });

  // 1. The first administrator logs in with the keyboard only, creates a user, a colleague
  //    and a project.
  const admin = await en.newPage();
  watch(admin, "admin");
  await admin.goto(base + "/");
  await visit(admin, "login");
  await admin.keyboard.press("Tab"); // the skip link
  await admin.keyboard.press("Tab");
  check(await admin.evaluate(() => document.activeElement.id) === "username", "Tab reaches Username");
  await admin.keyboard.type("admin");
  await admin.keyboard.press("Tab");
  await admin.keyboard.type(ADMIN_PW);
  await admin.keyboard.press("Enter");
  await admin.getByRole("link", { name: "New plan" }).waitFor();
  await visit(admin, "admin-plan-list");
  await admin.getByRole("link", { name: "Administration" }).click();
  for (const u of ["ana", "ben"]) {
    await admin.locator("#new-username").fill(u);
    await admin.locator("#new-password").fill(PW);
    await admin.getByRole("button", { name: "Create user" }).click();
    await admin.getByRole("cell", { name: u, exact: true }).waitFor();
  }
  await admin.locator("#new-project").fill("soil-lab");
  await admin.locator("#new-project-description").fill("Soil laboratory");
  await admin.getByRole("button", { name: "Create project" }).click();
  await admin.locator("#member-user").fill("ana");
  await admin.locator("#member-project").fill("soil-lab");
  await admin.getByRole("button", { name: "Add to project" }).click();
  await visit(admin, "admin-users-projects");
  await admin.getByRole("button", { name: "Log out" }).click();
  await admin.getByRole("button", { name: "Log in" }).waitFor();

  // 2. The researcher starts a Horizon Europe plan and fills it.
  const ana = await en.newPage();
  watch(ana, "ana");
  if (process.env.WALK_DEBUG) { ana.on("response", (r) => { if (r.request().method() === "POST") { console.log("POST", r.url(), r.status(), (r.request().postData() || "").slice(0, 300)); } }); }
  await login(ana, "ana", PW);
  await ana.getByRole("link", { name: "New plan" }).click();
  await visit(ana, "new-plan");
  await ana.getByLabel("Plan title", { exact: true }).fill("Soil microbiome DMP");
  await ana.getByLabel(/Horizon Europe/).check();
  await ana.getByRole("button", { name: "Create plan" }).click();
  await ana.getByRole("button", { name: "Save" }).first().waitFor();
  const editorUrl = ana.url();
  await visit(ana, "editor-new");
  await ana.getByLabel("Project title", { exact: true }).fill("SOILMIC");
  await ana.getByLabel("Acronym", { exact: true }).fill("SMC");
  await ana.getByLabel("Grant agreement number", { exact: true }).fill("101012345");
  await ana.getByLabel("Funder", { exact: true }).fill("European Commission");
  for (const [i, name, orcid] of [[0, "Ana Researcher", "0000-0002-1825-0097"], [1, "Ben Colleague", ""]]) {
    await ana.getByRole("button", { name: "Add Contributor" }).click();
    await ana.locator(`#contributors-${i}-name`).waitFor();
    await ana.locator(`#contributors-${i}-name`).fill(name);
    if (orcid) { await ana.locator(`#contributors-${i}-orcid`).fill(orcid); }
  }
  for (const [i, title] of [[0, "Soil samples"], [1, "Sequencing reads"]]) {
    await ana.getByRole("button", { name: "Add Dataset" }).click();
    await ana.locator(`#datasets-${i}-title`).waitFor();
    await ana.locator(`#datasets-${i}-title`).fill(title);
  }
  const purposeQ = "What is the purpose of the data generation or re-use and its relation to the objectives of the project?";
  await ana.getByLabel(purposeQ).fill("We characterise **soil** microbes.");
  await ana.getByLabel(/^Will you re-use any existing data/).fill("No existing data is re-used.");
  await save(ana, "re-used.");
  await visit(ana, "editor-filled");
  await ana.goto(editorUrl);
  check(await ana.getByLabel(purposeQ).inputValue() === "We characterise **soil** microbes.", "answer kept after reload");
  check(await ana.locator("#contributors-1-name").inputValue() === "Ben Colleague", "second contributor kept");
  check(await ana.locator("#datasets-1-title").inputValue() === "Sequencing reads", "second dataset kept");
  check(await ana.getByLabel("Project title", { exact: true }).inputValue() === "SOILMIC", "project kept");
  // The Markdown preview.
  await ana.getByRole("button", { name: "Preview" }).nth(2).click();
  await ana.locator("#pv-purpose strong").waitFor();
  await visit(ana, "editor-reloaded-preview");

  // 3. Documents: generate, wait, download both, preview the PDF.
  await ana.getByRole("button", { name: "Generate documents" }).click();
  await ana.getByRole("link", { name: "Download DOCX" }).waitFor({ timeout: 30000 });
  await visit(ana, "documents");
  const [docx] = await Promise.all([ana.waitForEvent("download"), ana.getByRole("link", { name: "Download DOCX" }).click()]);
  const docxBytes = readFileSync(await docx.path());
  const xml = unzip(docxBytes, "word/document.xml");
  check(xml.includes("microbes") && xml.includes("No existing data is re-used."), "DOCX has the answers");
  const [pdf] = await Promise.all([ana.waitForEvent("download"), ana.getByRole("link", { name: "Download PDF" }).click()]);
  const pdfBytes = readFileSync(await pdf.path());
  check(pdfBytes.subarray(0, 5).toString() === "%PDF-" && pdfBytes.length > 2000, "a PDF");
  writeFileSync(join(work, "plan.docx"), docxBytes);
  writeFileSync(join(work, "plan.pdf"), pdfBytes);

  // 4. Share with the colleague as commenter; the colleague reads and cannot edit.
  await ana.goto(editorUrl);
  await ana.getByRole("button", { name: "Share" }).click();
  await ana.getByLabel("Name", { exact: true }).fill("ben");
  await ana.getByLabel("Role", { exact: true }).selectOption("commenter");
  await ana.getByRole("button", { name: "Share" }).click();
  await ana.getByRole("cell", { name: "ben", exact: true }).waitFor();
  await visit(ana, "share");
  const benCtx = await browser.newContext({ locale: "en-GB" });
  const ben = await benCtx.newPage();
  watch(ben, "ben");
  await login(ben, "ben", PW);
  await ben.getByRole("cell", { name: "Commenter" }).first().waitFor();
  await visit(ben, "colleague-list");
  await ben.getByRole("link", { name: "Soil microbiome DMP" }).click();
  await ben.getByRole("button", { name: "History" }).waitFor();
  check(await ben.getByRole("button", { name: "Save" }).count() === 0, "no Save for a commenter");
  check(await ben.getByLabel(purposeQ).isDisabled(), "answer boxes read-only for a commenter");
  await visit(ben, "colleague-editor");
  // The colleague comments on a question; the owner replies and resolves it.
  await ben.getByRole("link", { name: /^Comment on this question.*What is the purpose of the data generation/ }).click();
  await ben.getByLabel("Comment", { exact: true }).fill("Please say **which** microbes.");
  await ben.getByRole("button", { name: "Add comment" }).click();
  await ben.locator("article.thread strong", { hasText: "which" }).waitFor();
  await visit(ben, "colleague-comment");
  await ana.goto(editorUrl);
  await ana.getByRole("link", { name: /^One open comment.*What is the purpose of the data generation/ }).click();
  await ana.getByRole("textbox", { name: "Reply" }).fill("Done, see the answer.");
  await ana.getByRole("button", { name: "Reply" }).click();
  await ana.getByText("Done, see the answer.").waitFor();
  await ana.getByRole("button", { name: "Resolve" }).click();
  await ana.getByRole("heading", { name: "Resolved comments" }).waitFor();
  await visit(ana, "comment-resolved");

  // 5. Two tabs edit the same answer: the second gets the conflict dialog.
  const tab1 = await en.newPage();
  const tab2 = await en.newPage();
  watch(tab1, "tab1"); watch(tab2, "tab2");
  await tab1.goto(editorUrl);
  await tab2.goto(editorUrl);
  await tab1.getByLabel(purposeQ).fill("Tab one's purpose.");
  await save(tab1, "Tab one");
  await tab2.getByLabel(purposeQ).fill("Tab two's purpose.");
  const dialog = tab2.getByRole("dialog", { name: "Someone else changed this plan" });
  await dialog.waitFor({ timeout: 10000 });
  await dialog.locator("ins").first().waitFor();
  await visit(tab2, "conflict-dialog");
  const kept = tab2.waitForResponse((r) => r.request().method() === "POST" && r.status() === 200, { timeout: 10000 });
  await tab2.getByRole("button", { name: "Keep mine" }).click();
  await kept;
  await tab1.close(); await tab2.close();

  // 6. History: the diff, then a restore brings the old text back.
  await ana.goto(editorUrl);
  check(await ana.getByLabel(purposeQ).inputValue() === "Tab two's purpose.", "kept mine");
  await ana.getByRole("button", { name: "History" }).click();
  await ana.locator("ul.diff del, ul.diff ins").first().waitFor();
  await visit(ana, "history-diff");
  const restoreButtons = ana.getByRole("button", { name: /^Restore revision/ });
  // The revision before the two tabs: its purpose was "We characterise **soil** microbes."
  const revs = await ana.locator("tbody tr td:first-child").allInnerTexts();
  const current = parseInt(revs[0], 10);
  await ana.getByRole("button", { name: `Restore revision ${current - 2}` }).click();
  check(await restoreButtons.count() >= 0, "restore buttons");
  await ana.getByRole("button", { name: "Save" }).first().waitFor();
  check(await ana.getByLabel(purposeQ).inputValue() === "We characterise **soil** microbes.", "restore brought the old text back");
  await visit(ana, "restored");

  // 7. Keyboard-only save: focus an answer with Tab from the previous control, type, Enter on Save.
  await ana.getByLabel(/^Will you re-use any existing data/).focus();
  await ana.keyboard.press("End");
  await ana.keyboard.type(" Typed with the keyboard.");
  const typed = ana.waitForResponse((r) => r.request().method() === "POST" && r.status() === 200
    && (r.request().postData() || "").includes("keyboard."), { timeout: 10000 });
  await ana.getByRole("button", { name: "Save" }).first().focus();
  await ana.keyboard.press("Enter");
  await typed;
  await ana.goto(editorUrl);
  check((await ana.getByLabel(/^Will you re-use any existing data/).inputValue()).endsWith("Typed with the keyboard."), "keyboard save kept");

  // 8. Logout makes the session cookie useless.
  const cookies = await en.cookies();
  const session = cookies.find((c) => c.name === "dmptool_session");
  check(session && session.httpOnly && session.sameSite === "Lax", "HttpOnly, SameSite=Lax cookie");
  await ana.getByRole("button", { name: "Log out" }).click();
  await ana.getByRole("button", { name: "Log in" }).waitFor();
  const replay = await fetch(base + "/", { headers: { Cookie: `dmptool_session=${session.value}` } });
  const replayed = await replay.text();
  check(replayed.includes('action="/ui/login"') && !replayed.includes("New plan"), "old cookie is useless");

  // 9. The same pages in Spanish show no English string.
  const enMsgs = messages("en");
  const esMsgs = messages("es");
  const esAll = [...esMsgs.values()].join("\n");
  const english = [...enMsgs.values()].filter((v) => v.length > 2 && !esAll.includes(v));
  const es = await browser.newContext({ locale: "es-ES", acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const anaEs = await es.newPage();
  watch(anaEs, "ana-es");
  await anaEs.goto(base + "/");
  await visit(anaEs, "es-login");
  await anaEs.getByLabel("Nombre de usuario").fill("ana");
  await anaEs.getByLabel("Contraseña").fill(PW);
  await anaEs.getByRole("button", { name: "Entrar" }).click();
  await anaEs.getByRole("link", { name: "Plan nuevo" }).waitFor();
  const esPages = [["es-list", base + "/"], ["es-new-plan", base + "/ui/plans/new"],
    ["es-documents", editorUrl + "/documents"], ["es-share", editorUrl + "/share"],
    ["es-history", editorUrl + "/history"], ["es-password", base + "/ui/password"]];
  for (const [name, url] of esPages) {
    await anaEs.goto(url);
    await visit(anaEs, name);
    const text = await anaEs.evaluate(() => document.body.innerText);
    // Whole words: the plan's own text ("Typed ...") is not the UI's ("Type").
    for (const w of english) {
      const re = new RegExp(`(^|[^\\p{L}])${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\p{L}])`, "u");
      check(!re.test(text), `${name} shows English "${w}"`);
    }
  }
  await anaEs.goto(editorUrl);
  await visit(anaEs, "es-editor");
  for (const b of ["Guardar", "Generar los documentos", "Descargar el DOCX", "Descargar el PDF", "Compartir", "Historial"]) {
    await anaEs.getByRole("button", { name: b }).first().waitFor();
  }
  check(await anaEs.getByText("Proyecto y financiación").count() > 0, "Spanish section heading");

  check(violations.length === 0, `no serious/critical axe findings, CSP reports or foreign requests:\n  ${violations.join("\n  ")}`);
  console.log(`walk passed: ${step} steps; screenshots in ${shots}`);
} catch (e) {
  failed = true;
  console.error(`walk FAILED at step ${step}: ${e.stack || e}`);
  if (violations.length) { console.error(violations.join("\n")); }
  console.error(serverLog.split("\n").filter((l) => /"level":"(ERROR|WARN)"/.test(l)).slice(-20).join("\n"));
} finally {
  if (browser) { await browser.close(); }
  server.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
