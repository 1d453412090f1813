// The holder page's live card: "在本机启用动态证件 / Use this phone as my card".
// The page makes a non-extractable Ed25519 key with WebCrypto, sends the public key and
// the activation code, keeps what comes back in IndexedDB and from then on shows a QR
// that it signs anew every few seconds with the clock corrected by the service's. It
// works offline: the service worker keeps the page, IndexedDB the card.
import { base64urlDecode, base64urlEncode, keyHash, liveText } from "./hb2-sign.js";
import { qrSvg } from "./holder-qr.js";
import { loadCard, saveCard } from "./holder-store.js";

const DEFAULT_REFRESH_S = 10;
const STATUS_EVERY_MS = 5 * 60 * 1000;
const page = location.pathname.replace(/\/+$/, "");
const $ = (id) => document.getElementById(id);

function say(node, zh, en) {
  node.replaceChildren(zh, document.createElement("br"), Object.assign(
    document.createElement("span"), { className: "en", textContent: en }));
}

function nowSeconds(card) {
  return Math.floor((Date.now() + (card.offsetMs || 0)) / 1000);
}

// The offset of the phone's clock from the service's, from one request's round trip.
async function timedFetch(url, init) {
  const sent = Date.now();
  const res = await fetch(url, { cache: "no-store", ...init });
  const back = Date.now();
  const server = Number(res.headers.get("Huicui-Time-Ms"));
  const offsetMs = Number.isFinite(server) && server > 0 ? server - (sent + back) / 2 : null;
  return { res, offsetMs };
}

async function checkStatus(card) {
  if (!navigator.onLine) return card;
  try {
    const { res, offsetMs } = await timedFetch(
      `${page}/phone?key_hash=${encodeURIComponent(card.keyHash)}`);
    if (!res.ok) return card;
    const body = await res.json();
    const next = { ...card, offsetMs: offsetMs ?? card.offsetMs, checkedAt: Date.now() };
    if (!body.current) {
      next.supersededAt = body.superseded_at || "";
    } else if (body.bound) {
      next.bound = base64urlDecode(body.bound);
      delete next.supersededAt;
    }
    await saveCard(page, next);
    return next;
  } catch {
    return card; // offline or the service unreachable: keep what we have
  }
}

let running = null;

function stopLive() {
  if (running) {
    clearInterval(running.tick);
    running = null;
  }
}

function showActivation(message) {
  stopLive();
  $("live-card").hidden = true;
  $("static-card").hidden = false;
  $("activate").hidden = false;
  if (message) say($("activate-error"), ...message);
}

function showLive(card) {
  stopLive();
  if (card.supersededAt !== undefined) {
    showActivation([
      `此证件已于 ${card.supersededAt} 在另一部手机上启用。如非本人操作，请用启用码重新启用并联系工作站。`,
      `This card was moved to another phone at ${card.supersededAt}. If that was not you, ` +
        "activate it here again with your code and tell the office.",
    ]);
    return;
  }
  $("static-card").hidden = true;
  $("activate").hidden = true;
  $("live-card").hidden = false;
  const refresh = card.refresh || DEFAULT_REFRESH_S;
  const sign = (bytes) => crypto.subtle.sign("Ed25519", card.keys.privateKey, bytes);
  const state = { signedAt: 0, card };
  running = state;

  async function draw() {
    const t = nowSeconds(state.card);
    if (state.card.exp && t >= state.card.exp) {
      say($("live-status"), "证件已过期", "This card has expired");
      $("live-qr").replaceChildren();
      return;
    }
    const text = await liveText(state.card.bound, t, sign);
    if (running !== state) return;
    $("live-qr").replaceChildren(qrSvg(document, text));
    state.signedAt = t;
  }

  function tick() {
    const t = nowSeconds(state.card);
    const left = refresh - (t - state.signedAt);
    if (left <= 0) {
      draw().catch((err) => say($("live-status"), "无法生成动态码", String(err)));
      return;
    }
    $("live-bar").style.width = `${(100 * left) / refresh}%`;
    const clock = new Date((t) * 1000).toLocaleTimeString("zh-CN", { hour12: false });
    say($("live-status"), `${clock} · ${left} 秒后刷新`, `refreshes in ${left} s`);
  }

  draw().then(tick).catch((err) => say($("live-status"), "无法生成动态码", String(err)));
  state.tick = setInterval(tick, 1000);
  setTimeout(async function again() {
    if (running !== state) return;
    const fresh = await checkStatus(state.card);
    if (fresh.supersededAt !== undefined) return showLive(fresh);
    state.card = fresh;
    setTimeout(again, STATUS_EVERY_MS);
  }, 0);
}

async function activate(code) {
  say($("activate-error"), "正在启用…", "Activating…");
  const keys = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
  let answer;
  try {
    answer = await timedFetch(`${page}/activate`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ public_key: base64urlEncode(publicKey), code }),
    });
  } catch {
    say($("activate-error"), "启用需要联网，请联网后重试", "Activation needs a network: try again online");
    return;
  }
  const body = await answer.res.json();
  if (!answer.res.ok) {
    say($("activate-error"), body.title_zh || "启用失败", body.title || "Activation failed");
    return;
  }
  const card = {
    keys,
    bound: base64urlDecode(body.bound),
    keyHash: await keyHash(crypto.subtle, publicKey),
    exp: body.exp,
    refresh: body.refresh_seconds,
    offsetMs: answer.offsetMs ?? 0,
    activatedAt: Date.now(),
  };
  if (card.keyHash !== body.key_hash) throw new Error("the service bound another key");
  await saveCard(page, card);
  $("activate-error").replaceChildren();
  showLive(card);
}

async function start() {
  if (!$("live")) return;
  $("live").hidden = false;
  if (!window.crypto?.subtle || !window.indexedDB) {
    showActivation(["此浏览器不支持动态证件", "This browser cannot hold a live card"]);
    $("activate-open").disabled = true;
    return;
  }
  $("activate-open").addEventListener("click", () => {
    $("activate-form").hidden = false;
    $("activate-code").focus();
  });
  $("activate-form").addEventListener("submit", (event) => {
    event.preventDefault();
    activate($("activate-code").value.trim()).catch((err) =>
      say($("activate-error"), "启用失败", String(err)));
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/cards/holder-sw.js", { scope: "/cards/" }).catch(() => {});
  }
  const card = await loadCard(page);
  if (card) {
    showLive(card);
  } else {
    showActivation(null);
  }
}

start().catch((err) => console.error(err));
