/**
 * The installable verifier page (/verify/): enroll by scanning the office's QR, then
 * check cards with the camera, a keyboard-wedge scanner or by hand, offline for days.
 *
 * Every scan goes through Gate (decide, then commit to IndexedDB) before anything is
 * shown; the camera's repeats of one card are one use (RecentCodes); the page syncs by
 * itself whenever it is online. Texts are zh-CN first, then English; reasons come from
 * reasons.json through the engine's Decision.
 */

import { BUNDLE_REFUSALS } from "../engine/reasons.js";
import { localText } from "../engine/clock.js";
import { RecentCodes } from "./debounce.js";
import { loadBundle } from "./device.js";
import { Gate } from "./gate.js";
import { openLog } from "./log.js";
import { makeReader, openCamera, prepareZxing, scanLoop } from "./scanner.js";
import { enroll, parseEnrollmentCode, sync, SyncError } from "./sync.js";

const params = new URLSearchParams(location.search);
const SYNC_EVERY = Number(params.get("sync_every") || 60) * 1000; // ms between syncs while online
// Seconds a code must be out of sight before it counts again (as the kiosk); the bench
// sets 0 to have every camera frame decided.
const REPEAT_WINDOW = Number(params.get("repeat_window") ?? 10);
const SHOW_FOR = 6000; // ms a verdict stays before the page asks for the next code
const WARN_BEFORE = 24 * 3600; // seconds before the data goes stale that the strip warns

const FAIL_MODES = {
  open: ["过期后仍放行并提示", "when out of date: accept and warn"],
  closed: ["过期后一律拒绝", "when out of date: refuse"],
};

const $ = (id) => document.getElementById(id);
const page = {
  log: null,
  state: null,
  bundle: null,
  gate: null,
  recent: new RecentCodes(REPEAT_WINDOW),
  seq: 0,
  syncing: null,
  lastSyncError: null,
  latencies: [], // ms from camera frame to verdict shown
  shown: [], // uuids of verdicts shown, in order (the tests read it)
};
globalThis.huicuiVerify = page;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Two lines, Chinese first: <span>zh</span> <span class="en">en</span>. */
function bilingual(node, zh, en) {
  node.replaceChildren(document.createTextNode(zh), document.createTextNode(" "), el("span", "en", en));
}

function ago(seconds) {
  if (seconds < 60) return ["刚刚", "just now"];
  if (seconds < 3600) return [`${Math.floor(seconds / 60)} 分钟前`, `${Math.floor(seconds / 60)} min ago`];
  if (seconds < 86400) return [`${Math.floor(seconds / 3600)} 小时前`, `${Math.floor(seconds / 3600)} h ago`];
  return [`${Math.floor(seconds / 86400)} 天前`, `${Math.floor(seconds / 86400)} days ago`];
}

const nowSeconds = () => Math.trunc(Date.now() / 1000);

// --- the status strip ------------------------------------------------------------------

async function renderStatus() {
  const { state, bundle } = page;
  const html = document.documentElement;
  if (!state || !state.token) {
    html.dataset.state = "enroll";
    bilingual($("version"), "未登记", "not enrolled");
    $("synced").hidden = $("pending").hidden = $("sync-now").hidden = true;
    $("warning").hidden = true;
    return;
  }
  $("synced").hidden = $("pending").hidden = $("sync-now").hidden = false;
  const now = nowSeconds();
  if (bundle) {
    html.dataset.state = bundle.isStale(now) ? "stale" : "ready";
    $("venue").textContent = bundle.venue.name_zh;
    $("venue-en").textContent = bundle.venue.name_en;
    bilingual($("version"), `版本 v${bundle.version}`, `version ${bundle.version}`);
    $("version").dataset.version = String(bundle.version);
  } else {
    html.dataset.state = "no_bundle";
    bilingual($("version"), "尚无核验数据", "no verifier data yet");
  }
  const [zh, en] = state.checkedAt ? ago(Math.max(0, now - state.checkedAt)) : ["从未", "never"];
  bilingual($("synced"), `上次同步 ${zh}`, `synced ${en}`);
  const pending = await page.log.pendingCount();
  bilingual($("pending"), `待上传 ${pending}`, `${pending} to upload`);
  $("pending").dataset.count = String(pending);
  $("pending").classList.toggle("due", pending > 0);

  const warning = $("warning");
  warning.className = "warning";
  if (page.lastSyncError === "unauthorized") {
    warning.hidden = false;
    warning.classList.add("stale");
    bilingual(warning, "⚠ 服务器拒绝了本设备（可能已停用），请联系办公室重新登记", "⚠ The service refused this device (disabled?): ask the office to enroll it again");
    return;
  }
  if (!bundle) {
    warning.hidden = true;
    return;
  }
  const [failZh, failEn] = FAIL_MODES[bundle.venue.fail_mode] || FAIL_MODES.closed;
  const when = bundle.freshUntil ? localText(bundle.freshUntil, bundle.tz) : "—";
  warning.dataset.failMode = bundle.venue.fail_mode;
  if (bundle.isStale(now)) {
    warning.hidden = false;
    warning.classList.add("stale");
    bilingual(warning, `⚠ 核验数据已过期（${when}），请联网同步；${failZh}`, `⚠ Verifier data out of date since ${when}: sync; ${failEn}`);
  } else if (bundle.freshUntil - now < WARN_BEFORE) {
    warning.hidden = false;
    warning.classList.add("soon");
    bilingual(warning, `核验数据将于 ${when} 过期，请联网同步；${failZh}`, `Verifier data expires ${when}: sync; ${failEn}`);
  } else if (bundle.behind) {
    warning.hidden = false;
    warning.classList.add("soon");
    bilingual(warning, "服务器已有更新的核验数据，请联网同步", "Newer verifier data exists: sync");
  } else warning.hidden = true;
}

// --- showing a verdict -----------------------------------------------------------------

let idleTimer = null;

function showIdle() {
  const v = $("verdict");
  v.className = "verdict idle";
  delete v.dataset.reason;
  $("verdict-word").textContent = "请出示二维码";
  $("verdict-en").textContent = "Show the QR code";
  for (const id of ["verdict-reason", "verdict-holder", "verdict-gets", "verdict-warnings"]) $(id).replaceChildren();
}

function show(decision, record, { repeat = false } = {}) {
  const v = $("verdict");
  page.seq += 1;
  v.className = `verdict ${decision.accepted ? "accepted" : "refused"}${repeat ? " repeat" : ""}`;
  v.dataset.reason = decision.reason;
  v.dataset.seq = String(page.seq);
  v.dataset.uuid = record.uuid;
  $("verdict-word").textContent = decision.accepted ? "通过" : "拒绝";
  $("verdict-en").textContent = decision.accepted ? "Accepted" : "Refused";

  const reason = $("verdict-reason");
  reason.replaceChildren();
  if (!decision.accepted) {
    reason.append(el("div", "", decision.message_zh), el("div", "en", decision.message_en));
  }
  if (decision.detail_zh || decision.detail_en) reason.append(el("div", "", decision.detail_zh), el("div", "en", decision.detail_en));

  // What to check: the name once the signature verified; the last four of the ID when
  // the venue asks for it on printed cards. An engine that reads HB2 says so itself
  // (Decision.id_check, with its staff_check words); before it, the profile's static_card.
  const holder = $("verdict-holder");
  holder.replaceChildren();
  if (decision.name) {
    const hb2Era = "id_check" in decision;
    const askId = Boolean(decision.id_last4) && (hb2Era ? decision.id_check : page.bundle && page.bundle.venue.static_card === "check_id");
    // "-" is what the card carries when no ID document is on file: say so in words.
    const last4 = decision.id_last4 === "-" ? "未登记证件 no ID on file" : `证件后四位 ${decision.id_last4}`;
    holder.append(el("div", "", askId ? `${decision.name} · ${last4}` : decision.name));
    if (decision.accepted) {
      const [zh, en] = askId || hb2Era ? [decision.staff_check_zh, decision.staff_check_en] : ["核对姓名", "Check the name"];
      holder.append(el("div", "check", `${zh} · ${en}`));
    }
  }
  const gets = $("verdict-gets");
  gets.replaceChildren();
  if (decision.accepted) {
    gets.append(el("div", "", `${decision.benefit_name_zh}：${decision.effect_zh}`), el("div", "en", `${decision.benefit_name_en}: ${decision.effect_en}`));
    if (decision.policy_message_zh) gets.append(el("div", "", decision.policy_message_zh), el("div", "en", decision.policy_message_en));
  }
  const warnings = $("verdict-warnings");
  warnings.replaceChildren(...decision.warnings.map((w) => el("div", "", `⚠ ${w.message_zh} · ${w.message_en}`)));

  if (!repeat) {
    signal(decision.accepted);
    page.shown.push(record.uuid);
  }
  clearTimeout(idleTimer);
  idleTimer = setTimeout(showIdle, SHOW_FOR);
}

let audio = null;

/** A beep staff need not look for: one high tone to pass, two low ones to refuse; and a buzz. */
function signal(accepted) {
  try {
    audio = audio || new AudioContext();
    const tones = accepted ? [[880, 0, 0.15]] : [[220, 0, 0.18], [220, 0.25, 0.18]];
    for (const [freq, start, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.25;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + start);
      osc.stop(audio.currentTime + start + length);
    }
  } catch {
    // no sound on this device: the colour and the vibration still say it
  }
  if (navigator.vibrate) navigator.vibrate(accepted ? 120 : [200, 100, 200]);
}

// --- scanning --------------------------------------------------------------------------

/** One scanned or typed text: enrollment code, or a card to decide. */
async function handle(text, { source, frameTaken = null }) {
  const code = parseEnrollmentCode(text);
  if (code) {
    if (!page.state || !page.state.token) await enrollWith(code.server, code.secret, code.fingerprint);
    return;
  }
  if (!page.state || !page.state.token) return; // not enrolled: only an enrollment code means anything
  if (source === "camera") {
    const last = page.recent.seen(text, performance.now() / 1000);
    if (last) {
      // Still in view: the answer stands, uncounted; shown again only on an idle screen,
      // so it never hides a verdict given since.
      if ($("verdict").classList.contains("idle")) show(last.decision, last.record, { repeat: true });
      return;
    }
  }
  const { decision, record } = await page.gate.checkAndRecord(text);
  if (source === "camera") page.recent.remember(text, { decision, record }, performance.now() / 1000);
  show(decision, record);
  // Camera frame to verdict on screen: until the frame after the verdict was drawn.
  if (frameTaken !== null) requestAnimationFrame(() => page.latencies.push(performance.now() - frameTaken));
  renderStatus();
  soonSync();
}

async function startCamera() {
  const note = $("camera-note");
  try {
    await openCamera($("camera"));
  } catch (exc) {
    bilingual(note, "摄像头不可用，请用扫码枪或手动输入", "No camera: use a scanner or type the code");
    return;
  }
  const reader = await makeReader({ prefer: params.get("reader") });
  note.textContent = reader.name;
  document.documentElement.dataset.reader = reader.name;
  scanLoop($("camera"), reader, (text, taken) => handle(text, { source: "camera", frameTaken: taken }));
}

// --- enrollment and sync ---------------------------------------------------------------

async function enrollWith(server, secret, fp) {
  const message = $("enroll-message");
  if (server !== location.origin) {
    bilingual(message, "这个登记码属于另一个服务器，请在本服务器的核验页面扫描", "This code is for another service: open its own /verify/ page");
    return;
  }
  if (page.enrolling) return;
  page.enrolling = true;
  bilingual(message, "正在登记…", "Enrolling…");
  try {
    page.state = await enroll(page.log, { server, secret, expectedFingerprint: fp, now: nowSeconds() });
    page.bundle = await loadBundle(page.state);
    message.textContent = "";
    $("enroll").hidden = true;
    $("verdict").hidden = false;
    page.lastSyncError = null;
  } catch (exc) {
    page.state = await page.log.state();
    const [zh, en] = explain(exc);
    bilingual(message, `登记失败：${zh}`, `Enrollment failed: ${en}`);
  } finally {
    page.enrolling = false;
    await renderStatus();
    showView();
  }
}

function explain(exc) {
  if (exc instanceof SyncError) {
    if (BUNDLE_REFUSALS[exc.code]) return BUNDLE_REFUSALS[exc.code];
    if (exc.code === "network") return ["无法连接服务器", "cannot reach the service"];
    if (exc.code === "fingerprint_mismatch") return ["指纹不符，请勿使用此登记码", "fingerprint differs: do not use this code"];
    return [exc.detail, exc.detail];
  }
  return [String(exc), String(exc)];
}

/** Sync now (one at a time): upload, then catch up; the strip says how it went. */
function syncNow() {
  if (!page.state || !page.state.token) return Promise.resolve();
  if (page.syncing) return page.syncing;
  page.syncing = (async () => {
    try {
      const out = await sync(page.log, page.state, nowSeconds());
      page.state = out.state;
      // The codes in view stay remembered across a new bundle: a card held up during a
      // sync is still one use.
      if (out.changed) page.bundle = await loadBundle(page.state);
      page.lastSyncError = out.upload.error ? "upload" : null;
    } catch (exc) {
      page.lastSyncError = exc instanceof SyncError ? exc.code : "error";
    } finally {
      page.syncing = null;
      document.documentElement.dataset.syncError = page.lastSyncError || "";
      await renderStatus();
    }
  })();
  return page.syncing;
}
page.syncNow = syncNow;

let soonTimer = null;
function soonSync() {
  clearTimeout(soonTimer);
  soonTimer = setTimeout(() => navigator.onLine && syncNow(), 1500);
}

function showView() {
  const enrolled = Boolean(page.state && page.state.token);
  $("enroll").hidden = enrolled;
  $("verdict").hidden = !enrolled;
}

// --- start -----------------------------------------------------------------------------

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch((exc) => console.warn("service worker", exc));
  }
  page.log = await openLog();
  page.state = await page.log.state();
  try {
    page.bundle = await loadBundle(page.state);
  } catch (exc) {
    console.warn("held bundle not loaded", exc);
    page.bundle = null;
  }
  page.gate = new Gate(page.log, () => page.bundle);
  showView();
  await renderStatus();
  document.documentElement.dataset.ready = "1";

  // Opened from the enrollment QR by the phone's own camera app: the code is in the address.
  const fromLink = parseEnrollmentCode(location.href);
  history.replaceState(null, "", location.pathname + location.search); // the secret leaves the address bar
  if (fromLink && !(page.state && page.state.token)) enrollWith(fromLink.server, fromLink.secret, fromLink.fingerprint);

  $("wedge-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("wedge").value;
    $("wedge").value = "";
    if (text.trim()) handle(text.trim(), { source: "wedge" });
  });
  $("enroll-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("enroll-code").value.trim();
    const parsed = parseEnrollmentCode(code);
    if (parsed) enrollWith(parsed.server, parsed.secret, parsed.fingerprint);
    else enrollWith(location.origin, code, $("enroll-fp").value);
  });
  $("sync-now").addEventListener("click", () => syncNow());
  // A keyboard-wedge scanner types anywhere: keep its keystrokes landing in the field.
  document.addEventListener("keydown", (event) => {
    const field = $("wedge");
    const typing = event.target instanceof HTMLInputElement;
    if (!typing && page.state && page.state.token && event.key.length === 1 && !event.ctrlKey && !event.metaKey) field.focus();
  });
  if (page.state && page.state.token) $("wedge").focus();

  window.addEventListener("online", () => syncNow());
  setInterval(() => {
    renderStatus();
    if (navigator.onLine) syncNow();
  }, SYNC_EVERY);
  if (navigator.onLine) syncNow();
  prepareZxing().catch(() => {});
  startCamera();
}

start();
