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
  // Chinese first; a text the same in both languages (a venue with no English name) once.
  function pair(zh, en, sep = " / ") {
    const f = document.createDocumentFragment();
    if (zh) f.append(lang("zh-CN", zh));
    if (zh && en && en !== zh) f.append(sep);
    if (en && en !== zh) f.append(lang("en", en));
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

  // The verdict in both languages on one line (it wraps on a narrow screen).
  function verdict(zh, en) {
    return node(
      "div",
      "verdict-line",
      node("p", "verdict", lang("zh-CN", zh)),
      node("p", "verdict-en", lang("en", en)),
    );
  }

  function repeatBanner() {
    return node(
      "p",
      "repeat-note",
      pair("↻ 重复扫码，未再次计次", "Repeat: not counted again", " · "),
    );
  }

  function markRepeat() {
    // The same card again while its answer is on screen: say so, and keep it up longer.
    if (!result.classList.contains("repeat")) {
      result.classList.add("repeat");
      result.prepend(repeatBanner());
    }
    clearTimeout(resetTimer);
    resetTimer = setTimeout(showIdle, SHOW_MS);
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
    // A card still in view repeats its answer. Over its own answer it only marks it as a
    // repeat; over another card's answer (a newer one) nothing changes; on the prompt it
    // shows the old answer again, marked as a repeat so nobody takes it for a new use.
    if (d.repeat && shownSeq !== null) {
      if (String(d.seq) === result.dataset.seq) markRepeat();
      return;
    }
    const parts = [];
    if (d.repeat) parts.push(repeatBanner());
    if (d.accepted) {
      parts.push(verdict("✔ 通过", "Accepted"));
      if (d.benefit_name_zh) {
        parts.push(node("p", "reason", pair(d.benefit_name_zh, d.benefit_name_en)));
      }
    } else {
      parts.push(verdict("✘ 拒绝", "Refused"));
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
          // "-" is what the card carries when no ID document is on file: say so in words.
          node("span", "last4", d.id_last4 === "-" ? pair("未登记证件", "no ID on file") : `···${d.id_last4 || ""}`),
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

  // The same words as huicui_verifier.render.age_text.
  function ageText(seconds) {
    const s = Math.max(0, seconds);
    if (s < 60) return ["刚刚", "just now"];
    if (s < 3600) return [`${Math.floor(s / 60)} 分钟前`, `${Math.floor(s / 60)} min ago`];
    if (s < 48 * 3600) return [`${Math.floor(s / 3600)} 小时前`, `${Math.floor(s / 3600)} h ago`];
    return [`${Math.floor(s / 86400)} 天前`, `${Math.floor(s / 86400)} days ago`];
  }

  // When the device last heard from the service, or took a file: what staff can act on.
  function freshness(s) {
    if (s.checked_age_seconds === null || s.checked_age_seconds === undefined) {
      return ["上次同步：未知", "last checked: unknown"];
    }
    const [zh, en] = ageText(s.checked_age_seconds);
    if (s.checked_source === "file") return [`从文件加载于 ${zh}`, `loaded from a file ${en}`];
    return [`上次同步 ${zh}`, `last checked ${en}`];
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
    const joined = (...items) => items.filter((x) => x).join(" · ");
    $("venue").textContent = joined(s.program_zh, s.venue_zh, s.benefit && s.benefit.zh);
    $("venue-en").textContent = joined(s.program_en, s.venue_en, s.benefit && s.benefit.en);
    const [checkedZh, checkedEn] = freshness(s);
    const sep = () => node("span", "sep", " · ");
    const zh = node(
      "span",
      "",
      `版本 v${s.version}`,
      sep(),
      checkedZh,
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
      checkedEn,
      sep(),
      s.stale ? `⚠ out of date since ${s.expires_at}` : `valid until ${s.expires_at}`,
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
