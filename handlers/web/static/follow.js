// Following images until they reach a state: each watched image is read again (GET /api/images/<id>)
// every few seconds, less often the longer it takes, until its `done(record)` says so. An image
// whose record is not there yet (an upload the pipeline has not seen) is 404 for a while: that is
// waited out too. A watcher stops everything with stop() (its view is gone).

import { getImage } from "./api.js";

const FIRST_DELAY = 1500;
const MAX_DELAY = 5000;
const GROWTH = 1.3;
const GIVE_UP_AFTER = 15 * 60 * 1000;

export class Watcher {
  /** `onRecord(record)` for every read; `onGiveUp(id, error)` when one is not followed further. */
  constructor(onRecord, onGiveUp = () => {}) {
    this.onRecord = onRecord;
    this.onGiveUp = onGiveUp;
    this.watched = new Map();
    this.stopped = false;
  }

  /** Follow `id` until `done(record)` is true (read once soon, then less and less often). */
  watch(id, done) {
    if (this.stopped || this.watched.has(id)) return;
    const entry = { done, delay: FIRST_DELAY, since: Date.now(), timer: null };
    this.watched.set(id, entry);
    this.schedule(id, entry);
  }

  /** Whether `id` is being followed. */
  has(id) {
    return this.watched.has(id);
  }

  schedule(id, entry) {
    entry.timer = setTimeout(() => this.read(id, entry), entry.delay);
    entry.delay = Math.min(entry.delay * GROWTH, MAX_DELAY);
  }

  async read(id, entry) {
    if (this.stopped || this.watched.get(id) !== entry) return;
    try {
      const record = await getImage(id);
      if (this.stopped) return;
      this.onRecord(record);
      if (entry.done(record)) {
        this.watched.delete(id);
        return;
      }
    } catch (error) {
      if (this.stopped) return;
      const notYet = error.status === 404 || error.status === 0 || error.status >= 500;
      if (!notYet || Date.now() - entry.since > GIVE_UP_AFTER) {
        this.watched.delete(id);
        this.onGiveUp(id, error);
        return;
      }
    }
    if (Date.now() - entry.since > GIVE_UP_AFTER) {
      this.watched.delete(id);
      this.onGiveUp(id, null);
      return;
    }
    this.schedule(id, entry);
  }

  /** Stop following everything. */
  stop() {
    this.stopped = true;
    for (const entry of this.watched.values()) clearTimeout(entry.timer);
    this.watched.clear();
  }
}
