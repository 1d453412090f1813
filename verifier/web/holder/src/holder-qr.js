// The rotating code as an SVG: error correction L, alphanumeric mode (HB2 fits version
// 10, 57×57 modules, docs/hb2.md), a quiet zone of four modules.
import qrcode from "qrcode-generator";

const SVG = "http://www.w3.org/2000/svg";
export const QUIET_ZONE = 4;

/** The dark modules of `text` as rows of booleans, and the QR version. */
export function qrModules(text) {
  const qr = qrcode(0, "L");
  qr.addData(text, "Alphanumeric");
  qr.make();
  const n = qr.getModuleCount();
  const rows = [];
  for (let r = 0; r < n; r++) {
    const row = [];
    for (let c = 0; c < n; c++) row.push(qr.isDark(r, c));
    rows.push(row);
  }
  return { rows, version: (n - 17) / 4 };
}

/** An <svg> element (built with DOM calls, no markup parsing) showing `text`. */
export function qrSvg(doc, text) {
  const { rows } = qrModules(text);
  const size = rows.length + 2 * QUIET_ZONE;
  const svg = doc.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "动态证件二维码 / live card QR code");
  const back = doc.createElementNS(SVG, "rect");
  back.setAttribute("width", String(size));
  back.setAttribute("height", String(size));
  back.setAttribute("fill", "#fff");
  let d = "";
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; ) {
      if (!row[x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < row.length && row[x]) x++;
      d += `M${start + QUIET_ZONE} ${y + QUIET_ZONE}h${x - start}v1h${start - x}z`;
    }
  });
  const path = doc.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(back, path);
  return svg;
}
