/**
 * Remembering recent codes, so a card held in front of the camera is one use, not many.
 *
 * Twin of huicui_verifier/kiosk/debounce.py. The window slides: every sighting within
 * `window` seconds of the previous one extends it, so a holder who keeps the card in
 * view is still one redemption; the code counts again only after it was out of sight
 * for `window` seconds. Times come from performance.now(), so a change of the wall
 * clock neither releases nor freezes a code.
 */

export class RecentCodes {
  constructor(window, maxEntries = 256) {
    this.window = window;
    this.maxEntries = maxEntries;
    this._items = new Map(); // key -> [last seen, answer], oldest sighting first
  }

  /** The answer remembered for `key`, refreshing its window; null if none or expired. */
  seen(key, now) {
    this._prune(now);
    const item = this._items.get(key);
    if (item === undefined) return null;
    this._items.delete(key);
    this._items.set(key, [now, item[1]]);
    return item[1];
  }

  /** Keep `answer` for `key` from `now`. */
  remember(key, answer, now) {
    this._items.delete(key);
    this._items.set(key, [now, answer]);
    while (this._items.size > this.maxEntries) this._items.delete(this._items.keys().next().value);
  }

  /** Forget everything (a new bundle may change every answer). */
  clear() {
    this._items.clear();
  }

  _prune(now) {
    for (const [key, [last]] of this._items) {
      if (now - last < this.window) break;
      this._items.delete(key);
    }
  }
}
