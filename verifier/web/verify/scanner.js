/**
 * The camera and the QR reader: the rear camera's frames, read by the browser's
 * BarcodeDetector where it has one, else by zxing-cpp built to WebAssembly (the
 * zxing-wasm package), whose .wasm file the service serves beside this script; nothing
 * is fetched from anywhere else (the package's default would be a CDN).
 *
 * Twin of huicui_verifier/image.py (read_qr) for the browser.
 */

import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";

const WASM = new URL("zxing_reader.wasm", document.baseURI).href;
// Frames are read at most this wide: a card's QR fills a good part of the frame, and a
// smaller image halves the reader's time.
const MAX_WIDTH = 800;

let zxingReady = null;

/** Start loading the WebAssembly reader (from this service only). */
export function prepareZxing() {
  if (zxingReady === null) {
    zxingReady = prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path) },
      fireImmediately: true,
    });
  }
  return zxingReady;
}

/** A reader of ImageData or video frames: {name, read(source) -> [texts]}. */
export async function makeReader({ prefer = null } = {}) {
  if (prefer !== "zxing" && "BarcodeDetector" in globalThis) {
    try {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
        return {
          name: "BarcodeDetector",
          async read(canvas) {
            return (await detector.detect(canvas)).map((c) => c.rawValue);
          },
        };
      }
    } catch {
      // fall through to the WebAssembly reader
    }
  }
  await prepareZxing();
  return {
    name: "zxing-wasm",
    async read(canvas) {
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const found = await readBarcodes(image, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 });
      return found.filter((r) => r.isValid).map((r) => r.text);
    },
  };
}

/** Open the rear camera (any camera where there is no rear one) into `video`. */
export async function openCamera(video) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  video.srcObject = stream;
  await video.play();
  return stream;
}

/**
 * Read frames from `video` until stopped: each frame goes through `reader`, and every
 * text found is passed to `onCode(text, frameTime)`, frameTime being performance.now()
 * when the frame was taken. The next frame is read only after the previous one was
 * handled, so a slow phone drops frames instead of queueing them.
 */
export function scanLoop(video, reader, onCode) {
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let stopped = false;
  const step = async () => {
    if (stopped) return;
    try {
      if (video.readyState >= 2 && video.videoWidth) {
        const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        const taken = performance.now();
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        for (const text of await reader.read(canvas)) await onCode(text, taken);
      }
    } catch (exc) {
      console.warn("scan failed", exc);
    }
    if (!stopped) schedule();
  };
  const schedule = () => {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => step());
    else setTimeout(step, 100);
  };
  schedule();
  return () => {
    stopped = true;
  };
}
