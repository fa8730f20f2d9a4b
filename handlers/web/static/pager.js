// A list read a page at a time (the API's cursor, `next`): the next page loads when the end of the
// list scrolls into view, or when the "Load more" button is pressed (keyboards, and browsers that
// do not observe intersections).

import { h } from "./dom.js";

export class Pager {
  /**
   * `fetchPage(cursor)` answers `{items, next}`; `onItems(items, first)` shows them (first: the
   * first page of the list); `onError(error)` says a page could not be read.
   */
  constructor(fetchPage, onItems, onError) {
    this.fetchPage = fetchPage;
    this.onItems = onItems;
    this.onError = onError;
    this.next = null;
    this.loading = false;
    this.generation = 0;
    this.button = h("button", { type: "button", class: "load-more", hidden: true, onclick: () => this.more() }, "Load more");
    this.observer =
      typeof IntersectionObserver === "function"
        ? new IntersectionObserver((entries) => {
            if (entries.some((entry) => entry.isIntersecting)) this.more();
          }, { rootMargin: "600px 0px" })
        : null;
    this.observer?.observe(this.button);
  }

  /** Read the list from its first page again (e.g. its filters changed). */
  async reset() {
    this.generation += 1;
    this.next = null;
    this.loading = false;
    await this.load(null, true);
  }

  /** Read the next page, if there is one and none is being read. */
  async more() {
    if (this.next && !this.loading) await this.load(this.next, false);
  }

  async load(cursor, first) {
    const generation = this.generation;
    this.loading = true;
    this.button.disabled = true;
    this.button.textContent = "Loading…";
    try {
      const page = await this.fetchPage(cursor);
      if (generation !== this.generation) return;
      this.next = page.next;
      this.onItems(page.items, first);
    } catch (error) {
      if (generation !== this.generation) return;
      this.onError(error);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.button.disabled = false;
        this.button.textContent = "Load more";
        this.button.hidden = !this.next;
      }
    }
    // A short page may leave the button in view: the observer does not fire again by itself.
    if (generation === this.generation && this.next && this.inView()) queueMicrotask(() => this.more());
  }

  inView() {
    if (this.button.hidden || !this.button.isConnected) return false;
    const box = this.button.getBoundingClientRect();
    return box.top < innerHeight + 600;
  }

  /** Stop observing (the view is gone). */
  stop() {
    this.generation += 1;
    this.observer?.disconnect();
  }
}
