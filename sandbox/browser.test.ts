/**
 * The sandbox in a real browser: `npm start` offline (the real bot in wrangler dev against the emulator), driven
 * through the page with Playwright and Debian's Chromium, as a person would: commands from the command box, a button,
 * a modal, bot-answered autocomplete, an ephemeral reply, an event scheduled in the Events tab and its channels, and
 * the gateway dropped and resumed. SANDBOX_SCREENSHOT=path saves a screenshot of the page at the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const START_TIMEOUT_MS = 180_000;
const UI_TIMEOUT_MS = 30_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let sandbox: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let output = "";
const scratch = mkdtempSync(join(tmpdir(), "eventbot-sandbox-"));

/** Starts `npm start`'s script offline on free ports with its own wrangler state; resolves with the page's address. */
async function startSandbox(): Promise<string> {
  const [port, emulatorPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(port),
      EMULATOR_PORT: String(emulatorPort),
      EVENTBOT_STATE_DIR: join(scratch, "state"),
      EVENTBOT_WRANGLER_LOG: join(scratch, "wrangler.log"),
      // As under `npm start`: the project's wrangler first on the PATH, also when this file is run by hand.
      PATH: `${join(process.cwd(), "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
    },
  });
  sandbox = child;
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const url = output.match(/Open the sandbox: (http:\/\/\S+)/)?.[1];
    if (url) return url;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the sandbox did not start:\n${output}`);
}

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const url = await startSandbox();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 820 }, timezoneId: "Asia/Tokyo", locale: "en-US" });
  page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  await page.goto(url);
  await page.locator("#live", { hasText: "live" }).waitFor();
});

after(async () => {
  await browser?.close();
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((r) => sandbox?.once("exit", r));
    sandbox.kill("SIGTERM");
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Types a line into the command box, as a person would, letter by letter. */
async function type(line: string): Promise<void> {
  const box = page.locator("#composer");
  await box.fill("");
  await box.pressSequentially(line, { delay: 10 });
}

/** Picks the suggestion with this label in the command box's list. */
async function pick(label: string): Promise<void> {
  await page
    .locator(".suggestions li", { has: page.locator(".label", { hasText: label }) })
    .first()
    .click();
}

async function send(line: string): Promise<void> {
  await type(line);
  await page.locator("#composer").press("Enter");
}

/** The newest message in the open channel that contains `text`. */
function message(text: string) {
  return page.locator("#messages .message", { hasText: text }).last();
}

test("runs /voice-channel public from the command box and sees the channel appear", { timeout: 120_000 }, async () => {
  await type("/voice-config set category:");
  await pick("#Events");
  await page.locator("#composer").press("Enter");
  await message("Saved").waitFor();

  await send("/voice-channel public");
  const reply = message("Created");
  await reply.waitFor();
  const name = (await reply.locator(".mention-channel").first().textContent())?.replace(/^#/, "") ?? "";
  const row = page.locator(`#sidebar .channel[data-channel="${name}"]`);
  await row.waitFor();
  // It sits in the Events category, and joining it shows the member in it.
  const inEvents = await page.evaluate((n) => {
    const rows = [...document.querySelectorAll("#sidebar > *")];
    const cat = rows.findIndex((el) => (el as HTMLElement).dataset.category === "Events");
    const ch = rows.findIndex((el) => (el as HTMLElement).dataset.channel === n);
    return cat >= 0 && ch > cat;
  }, name);
  if (!inEvents) throw new Error(`${name} is not under the Events category`);
  await row.locator("button", { hasText: "Join" }).click();
  await page.locator("#sidebar .voice-members", { hasText: "alice" }).waitFor();
});

test("an ephemeral reply is shown only to the member who ran the command", async () => {
  await page.locator("#sidebar .channel[data-channel='general']").click();
  await message("Created").waitFor();
  await page.selectOption("#acting", { label: "bob" });
  await page.waitForFunction(() => !document.querySelector("#messages")?.textContent?.includes("Created"));
  await page.selectOption("#acting", { label: "alice (admin)" });
  await message("Created").waitFor();
});

test("clicks a button and the bot updates its message", async () => {
  await send("/bot-config view");
  const reply = message("/bot-config view");
  await reply.locator("button", { hasText: "Check my permissions" }).click();
  await message("All permissions in place").waitFor();
});

test("a modal opens as a form; its answer and the bot's autocomplete work", async () => {
  await send("/cc create name:greet");
  const form = page.locator("dialog.form");
  await form.waitFor();
  await form.locator("textarea").fill("Hello from the sandbox!");
  await form.locator("button[type=submit]").click();
  await form.waitFor({ state: "detached" });
  await message("greet").waitFor();

  await type("/cc run name:gr");
  await pick("greet");
  await page.locator("#composer").press("Enter");
  await message("Hello from the sandbox!").waitFor();
});

test("schedules an event in the Events tab and sees its channels appear", { timeout: 120_000 }, async () => {
  await type("/eventchannels category category:");
  await pick("#Events");
  await page.locator("#composer").press("Enter");
  await message("/eventchannels category").waitFor();

  await page.locator("[data-nav=events]").click();
  await page.locator("#create-event").click();
  const form = page.locator("dialog.form");
  await form.locator("input[name=name]").fill("Raid Night");
  await form.locator("button[type=submit]").click();
  const card = page.locator(".event[data-event='Raid Night']");
  await card.locator(".interested-list", { hasText: "1 interested" }).waitFor();

  // The bot hears of it through the gateway; its timer creates the text and voice channels in the category.
  await page.locator("#sidebar .channel[data-channel*='raid' i]").first().waitFor({ timeout: 60_000 });
  await page.locator("#timeline li[data-kind=timer]").first().waitFor();
  await page.locator("#timeline li[data-kind=bus]").first().waitFor();
});

test("<t:…> timestamps and mentions are shown as Discord shows them, in the viewer's timezone", async () => {
  await page.locator("#sidebar .channel[data-channel='general']").click();
  // 2026-01-01T00:00:00Z: 9:00 AM on January 1 in Tokyo, the browser's timezone here.
  await send("Party at <t:1767225600:f> with <@&ROLE> in <#CHANNEL>".replace("ROLE", await roleId("Admin")).replace("CHANNEL", await channelId("general")));
  const written = message("Party at");
  const expected = new Intl.DateTimeFormat("en-US", {
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZone: "Asia/Tokyo",
  }).format(new Date("2026-01-01T00:00:00Z"));
  const shown = await written.locator("time.ts").textContent();
  if (shown !== expected) throw new Error(`<t:1767225600:f> shown as "${shown}", expected "${expected}"`);
  await written.locator(".mention", { hasText: "@Admin" }).waitFor();
  await written.locator(".mention-channel", { hasText: "#general" }).waitFor();
});

/** Ids from the page's own state, as a member would copy them. */
async function roleId(name: string): Promise<string> {
  return page.evaluate(async (n) => {
    const s = await (await fetch("/_sandbox/state")).json();
    return s.roles.find((r: { name: string }) => r.name === n).id;
  }, name);
}

async function channelId(name: string): Promise<string> {
  return page.evaluate(async (n) => {
    const s = await (await fetch("/_sandbox/state")).json();
    return s.sections.flatMap((x: { channels: { name: string; id: string }[] }) => x.channels).find((c: { name: string }) => c.name === n).id;
  }, name);
}

test("dropping the gateway from the fault switches: the bot resumes", async () => {
  await page.locator(".tab[data-tab=faults]").click();
  await page.locator("button[data-fault=drop]").click();
  await page.locator(".tab[data-tab=timeline]").click();
  await page.locator("#timeline li[data-kind=gateway]", { hasText: "connection dropped" }).first().waitFor();
  await page.locator("#timeline li[data-kind=gateway]", { hasText: "RESUME" }).first().waitFor({ timeout: 60_000 });
  if (process.env.SANDBOX_SCREENSHOT) {
    await page.locator("#sidebar .channel[data-channel='general']").click();
    await page.screenshot({ path: process.env.SANDBOX_SCREENSHOT });
  }
});
