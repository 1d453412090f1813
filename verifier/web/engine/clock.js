/**
 * Time zones and time text for the program's local time (Asia/Shanghai).
 *
 * Twin of huicui_verifier/clock.py. Times are epoch seconds (Numbers).
 *
 * Asia/Shanghai is computed by fixed-offset arithmetic (UTC+8) for every instant since
 * the end of China's last daylight-saving summer (1991-09-14 17:00 UTC): China has kept
 * UTC+8 without daylight saving since, so this is exact, needs no time zone database and
 * costs nothing per scan. Earlier instants, and any other zone a bundle might name, go
 * through Intl.DateTimeFormat, whose IANA database agrees with the Python verifier's
 * zoneinfo (both use the historical offsets).
 */

export const PROGRAM_TZ = "Asia/Shanghai";
const SHANGHAI_OFFSET = 8 * 3600;
const SHANGHAI_FIXED_FROM = 684867600; // 1991-09-14T17:00:00Z: UTC+8 ever since
const DAY = 86400;

const zones = new Map();

function intlZone(name) {
  let format;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    return null;
  }
  // Intl reads zone names without regard to case and knows a few names zoneinfo does
  // not; take only a name Intl reports back exactly or lists as its own.
  const resolved = format.resolvedOptions().timeZone;
  const listed = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  if (resolved !== name && !listed.includes(name)) return null;
  return (ts) => {
    const parts = {};
    for (const { type, value } of format.formatToParts(new Date(ts * 1000))) parts[type] = value;
    const year = parts.era === "BC" || parts.era === "B" ? 1 - Number(parts.year) : Number(parts.year);
    const local = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) / 1000;
    return local - ts;
  };
}

/**
 * The zone called `name`: {name, offset(ts)}, where offset gives the seconds the zone is
 * ahead of UTC at epoch second ts. Throws RangeError for a zone this device does not know.
 */
export function zone(name = PROGRAM_TZ) {
  let found = zones.get(name);
  if (found) return found;
  const viaIntl = intlZone(name);
  if (name === PROGRAM_TZ) {
    found = { name, offset: (ts) => (ts >= SHANGHAI_FIXED_FROM || !viaIntl ? SHANGHAI_OFFSET : viaIntl(ts)) };
  } else if (viaIntl) {
    found = { name, offset: viaIntl };
  } else {
    throw new RangeError(`unknown time zone ${JSON.stringify(name)}`);
  }
  zones.set(name, found);
  return found;
}

/** The local calendar fields of epoch second `ts` in `tz`: year, month (1-12), day, hour, minute, isoWeekday (1 = Monday). */
export function localParts(ts, tz = PROGRAM_TZ) {
  const local = ts + zone(tz).offset(ts);
  const days = Math.floor(local / DAY);
  const date = new Date(days * DAY * 1000);
  const inDay = local - days * DAY;
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: Math.floor(inDay / 3600),
    minute: Math.floor((inDay % 3600) / 60),
    isoWeekday: ((((days + 3) % 7) + 7) % 7) + 1, // 1970-01-01 was a Thursday
  };
}

/**
 * Epoch seconds of local midnight starting `year-month-day` in `tz` (month may run past
 * 12 into the next year). Where a zone's clocks jump at midnight, the offset before the
 * jump applies, as Python's datetime does (fold = 0).
 */
export function localMidnight(year, month, day, tz = PROGRAM_TZ) {
  const wall = Date.UTC(year, month - 1, day) / 1000;
  const { offset } = zone(tz);
  const before = offset(wall - DAY);
  if (offset(wall - before) === before) return wall - before;
  const after = offset(wall + DAY);
  if (offset(wall - after) === after) return wall - after;
  return wall - before;
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/**
 * "YYYY-MM-DD": the last local day a certificate with this exp is valid (the day holding
 * the second before exp), as the API, the printed card and the holder page say.
 */
export function lastValidDay(exp, tz = PROGRAM_TZ) {
  const p = localParts(exp - 1, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** "YYYY-MM-DD HH:MM" in the program's time zone, for staff and holders. */
export function localText(ts, tz = PROGRAM_TZ) {
  const p = localParts(ts, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}
