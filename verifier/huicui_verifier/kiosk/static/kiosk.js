// Huicui kiosk page. The camera frames go to the kiosk process on this machine, which
// reads the QR code, decides with the device's bundle and records the decision before it
// answers; this page only shows. No decoder and no data live in the browser.
"use strict";

(() => {
  const SHOW_MS = 5000; // a result stays this long, then the page asks for the next code
  const FRAME_MS = 200; // about five frames a second
  const MAX_WIDTH = 1280; // enough pixels for a version-9 QR at arm's length
  const STATUS_MS = 30000;
  const TIMEOUT_MS = 8000;

  const $ = (id) => document.getElementById(id);
  const result = $("result");
  const bundleBar = $("bundle");
  const notEnrolled = $("not-enrolled");
  const wedge = $("wedge");
  const video = $("preview");
  const canvas = $("frame");
  const cameraState = $("camera-state");

  let ready = false;
  let shownSeq = null;
  let resetTimer = null;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Text only through textContent: nothing the server sends is ever parsed as HTML.
  function node(tag, cls, ...children) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    for (const c of children) {
      if (c === null || c === undefined || c === "") continue;
      e.append(c);
    }
    return e;
  }
  function lang(code, text) {
    const s = node("span", "", text);
    s.lang = code;
    return s;
  }
  function pair(zh, en, sep = " / ") {
    const f = document.createDocumentFragment();
    if (zh) f.append(lang("zh-CN", zh));
    if (zh && en) f.append(sep);
    if (en) f.append(lang("en", en));
    return f;
  }

  async function call(path, options = {}) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
    try {
      const res = await fetch(path, { ...options, cache: "no-store", signal: ctl.signal });
      let data = {};
      try {
        data = await res.json();
      } catch (_) {
        data = {};
      }
      setOffline(false);
      return { status: res.status, data };
    } catch (_) {
      setOffline(true);
      return { status: 0, data: {} };
    } finally {
      clearTimeout(timer);
    }
  }

  // --- result area -------------------------------------------------------------------

  function showIdle() {
    shownSeq = null;
    result.className = "result idle";
    delete result.dataset.reason;
    delete result.dataset.seq;
    result.replaceChildren(
      node("p", "verdict", lang("zh-CN", "请出示二维码")),
      node("p", "verdict-en", lang("en", "Show your QR code")),
    );
  }

  function companionsText(n) {
    if (!n) return null;
    return pair(`可带同行 ${n} 人`, `${n} companion${n > 1 ? "s" : ""} may come along`);
  }

  // Whether a live phone showed the code (and how fresh it was) or a static card did:
  // staff can tell a moving phone code from a picture.
  function cardText(d) {
    if (d.card === "phone" && d.proof_age !== null && d.proof_age !== undefined) {
      return pair(`● 手机动态证件 · ${d.proof_age} 秒前生成`, `Live phone card · made ${d.proof_age} s ago`);
    }
    if (d.card === "static") {
      return pair("静态证件（纸质或图片）", "Static card (paper or image)");
    }
    return "";
  }

  function showDecision(d) {
    // A card still in view repeats its answer: never over a result on screen (it may be a
    // newer card's), only to remind staff once the page is back to the prompt.
    if (d.repeat && shownSeq !== null) return;
    const parts = [];
    if (d.accepted) {
      parts.push(node("p", "verdict", lang("zh-CN", "✔ 通过")));
      parts.push(node("p", "verdict-en", lang("en", "Accepted")));
      if (d.benefit_name_zh) {
        parts.push(node("p", "reason", pair(d.benefit_name_zh, d.benefit_name_en)));
      }
    } else {
      parts.push(node("p", "verdict", lang("zh-CN", "✘ 拒绝")));
      parts.push(node("p", "verdict-en", lang("en", "Refused")));
      parts.push(node("p", "reason", lang("zh-CN", d.reason_zh)));
      parts.push(node("p", "reason-en", lang("en", d.reason_en)));
      if (d.detail_zh || d.detail_en) {
        parts.push(node("p", "detail", pair(d.detail_zh, d.detail_en)));
      }
    }
    if (d.name) {
      parts.push(
        node(
          "p",
          "holder",
          node("span", "name", d.name),
          node("span", "last4", `···${d.id_last4 || ""}`),
          node("small", "", pair("姓名 · 证件后四位", "name · ID last four")),
        ),
      );
    }
    const card = cardText(d);
    if (card) parts.push(node("p", `card card-${d.card}`, card));
    if (d.accepted) {
      parts.push(
        node("p", "check", pair(`▶ ${d.staff_check_zh}`, d.staff_check_en)),
      );
      const gets = node("p", "gets", pair("享受", "Gets"), "：");
      gets.append(node("b", "", pair(d.effect_zh, d.effect_en)));
      parts.push(gets);
      const comp = companionsText(d.companions);
      if (comp) parts.push(node("p", "gets", comp));
      if (d.policy_message_zh || d.policy_message_en) {
        parts.push(node("p", "gets", pair(d.policy_message_zh, d.policy_message_en)));
      }
      if (d.valid_until) {
        parts.push(node("p", "detail", pair(`证书有效期至 ${d.valid_until}`, `certificate valid until ${d.valid_until}`)));
      }
    }
    for (const w of d.warnings || []) {
      parts.push(node("span", "warning", pair(`⚠ ${w.message_zh}`, w.message_en)));
    }
    if (d.repeat) {
      parts.push(
        node("span", "repeat-note", pair("重复扫码，未再次计次", "Seen again: not counted again")),
      );
    }
    result.className = `result ${d.accepted ? "accepted" : "refused"}${d.repeat ? " repeat" : ""}`;
    result.dataset.reason = d.reason;
    result.dataset.seq = String(d.seq);
    result.replaceChildren(...parts);
    shownSeq = d.seq;
    clearTimeout(resetTimer);
    resetTimer = setTimeout(showIdle, SHOW_MS);
  }

  function handleAnswer(status, data) {
    if (status === 200 && data.state === "decision") {
      showDecision(data);
    } else if (status === 409) {
      refreshStatus(); // the bundle went away or stopped verifying
    }
  }

  // --- bundle status -----------------------------------------------------------------

  function ageText(seconds) {
    const h = Math.floor(seconds / 3600);
    if (h < 1) return ["不到 1 小时前", "less than an hour ago"];
    if (h < 48) return [`${h} 小时前`, `${h} h ago`];
    const days = Math.floor(h / 24);
    return [`${days} 天前（${h} 小时）`, `${days} days ago (${h} h)`];
  }

  function setOffline(off) {
    document.documentElement.classList.toggle("offline", off);
    if (off) {
      bundleBar.className = "bundle error";
      bundleBar.replaceChildren(pair("核验台程序未运行", "the kiosk program is not running"));
    }
  }

  function renderStatus(s) {
    ready = s.state === "ready";
    notEnrolled.hidden = ready;
    result.hidden = !ready;
    document.documentElement.dataset.state = s.state || "unknown";
    if (!ready) {
      bundleBar.className = s.state === "no_bundle" ? "bundle missing" : "bundle error";
      bundleBar.replaceChildren(pair(s.message_zh || "核验数据不可用", s.message_en || "no verifier data"));
      $("not-enrolled-detail").textContent = s.code ? `(${s.code})` : "";
      return;
    }
    $("venue").textContent = `${s.program_zh} · ${s.venue_zh}`;
    const benefit = s.benefit ? ` · ${s.benefit.en}` : "";
    $("venue-en").textContent = `${s.program_en} · ${s.venue_en}${benefit}`;
    if (s.benefit) $("venue").textContent += ` · ${s.benefit.zh}`;
    const [ageZh, ageEn] = ageText(s.age_seconds);
    const sep = () => node("span", "sep", " · ");
    const zh = node(
      "span",
      "",
      `版本 v${s.version}`,
      sep(),
      `更新于 ${ageZh}`,
      sep(),
      s.stale ? `⚠ 已过期（${s.expires_at}）` : `有效期至 ${s.expires_at}`,
      sep(),
      s.fail_mode_zh,
    );
    zh.lang = "zh-CN";
    const en = node(
      "span",
      "",
      `version ${s.version}`,
      sep(),
      `updated ${ageEn}`,
      sep(),
      s.stale ? "⚠ out of date" : "valid",
      sep(),
      s.fail_mode_en,
    );
    en.lang = "en";
    bundleBar.className = `bundle ${s.stale ? "stale" : "fresh"}`;
    bundleBar.dataset.version = String(s.version);
    bundleBar.replaceChildren(zh, node("br"), en);
  }

  async function refreshStatus() {
    const { status, data } = await call("/api/status");
    if (status === 200) renderStatus(data);
  }

  // --- keyboard-wedge input ------------------------------------------------------------

  function focusWedge() {
    if (document.activeElement !== wedge) wedge.focus({ preventScroll: true });
  }

  $("wedge-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = wedge.value;
    wedge.value = "";
    if (!text.trim()) return;
    const { status, data } = await call("/api/scan", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    handleAnswer(status, data);
    focusWedge();
  });

  $("wedge-keyboard").addEventListener("click", () => {
    // A scanner types like a keyboard and needs no on-screen keyboard; staff typing by
    // hand on a tablet do.
    wedge.inputMode = wedge.inputMode === "none" ? "text" : "none";
    wedge.blur();
    focusWedge();
  });

  // A scanner's keystrokes must land in the field even after a tap elsewhere.
  document.addEventListener("keydown", (ev) => {
    if (document.activeElement !== wedge && ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey) {
      focusWedge();
    }
  });
  document.addEventListener("click", (ev) => {
    if (!ev.target.closest("button, input, a, video")) focusWedge();
  });
  window.addEventListener("focus", focusWedge);

  // --- camera --------------------------------------------------------------------------

  function setCameraState(zh, en, problem = false) {
    cameraState.className = `camera-state${problem ? " problem" : ""}`;
    cameraState.replaceChildren(pair(zh, en));
  }

  async function sendFrame(ctx) {
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    const w = Math.round(video.videoWidth * scale);
    const h = Math.round(video.videoHeight * scale);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    ctx.drawImage(video, 0, 0, w, h);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    if (!blob) return;
    const { status, data } = await call("/api/frame", {
      method: "POST",
      headers: { "Content-Type": "image/jpeg" },
      body: blob,
    });
    handleAnswer(status, data);
  }

  async function frameLoop() {
    const ctx = canvas.getContext("2d", { willReadFrequently: false });
    for (;;) {
      const started = performance.now();
      if (ready && !document.hidden && video.readyState >= 2 && video.videoWidth > 0) {
        try {
          await sendFrame(ctx);
        } catch (_) {
          // one lost frame is nothing: the next one comes in 200 ms
        }
      }
      await sleep(Math.max(50, FRAME_MS - (performance.now() - started)));
    }
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setCameraState("此浏览器无法使用摄像头，请用扫码枪", "No camera access here: use a scanner", true);
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: {
          facingMode: { ideal: "environment" }, // the rear camera on a tablet or phone
          width: { ideal: 1280 },
          height: { ideal: 720 },
        },
      });
    } catch (err) {
      if (err && err.name === "NotAllowedError") {
        setCameraState(
          "摄像头权限被拒绝：请在地址栏允许使用摄像头后刷新",
          "Camera blocked: allow it in the address bar, then reload",
          true,
        );
      } else {
        setCameraState("未找到可用的摄像头，请用扫码枪", "No usable camera: use a scanner", true);
      }
      return;
    }
    video.srcObject = stream;
    try {
      await video.play();
    } catch (_) {
      // autoplay of a muted stream is allowed; if not, frames still draw once it plays
    }
    setCameraState("摄像头已开启：请将二维码对准摄像头", "Camera on: hold the code to the camera");
    frameLoop();
  }

  showIdle();
  focusWedge();
  refreshStatus();
  setInterval(refreshStatus, STATUS_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refreshStatus();
  });
  startCamera();
})();
