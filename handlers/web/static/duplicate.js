// "Looks like <file name>": how a record's `duplicate_of` (the earliest earlier image it is a
// near-copy of, or null) reads on the page, a link to that image's view. The name comes from
// GET /api/images/<that id>, once per view however many of its images name the same one. A 404 is an
// image the reader cannot see: another owner's (a stack comparing every owner's images), or one
// whose record is gone; it is said so, without a link.

import { getImage } from "./api.js";
import { h } from "./dom.js";
import { imagePath } from "./router.js";

/** The images a view's near-copies look like, each read once while the view is shown. */
export class Likenesses {
  constructor() {
    this.lookups = new Map();
  }

  /** Image `id`'s record; null when the reader cannot see it (404). Other errors are not kept. */
  lookUp(id) {
    if (!this.lookups.has(id)) {
      const lookup = getImage(id).catch((error) => {
        if (error.status === 404) return null;
        this.lookups.delete(id); // read again by the next line that needs it
        throw error;
      });
      this.lookups.set(id, lookup);
    }
    return this.lookups.get(id);
  }

  /** `record`'s "Looks like …" line (a <p>), completed once its target is read; null when it is no
   * near-copy. */
  line(record) {
    const target = record.duplicate_of;
    if (!target) return null;
    const line = h("p", { class: "duplicate" }, "Looks like an earlier image");
    const link = (text) => h("a", { href: imagePath(target), "data-route": true }, text);
    this.lookUp(target).then(
      (found) => {
        if (!found) line.replaceChildren("Looks like an image you cannot see");
        else line.replaceChildren(link(`Looks like ${found.file_name}${found.status === "deleted" ? " (deleted)" : ""}`));
      },
      () => line.replaceChildren(link("Looks like an earlier image")), // its view says why it cannot be read
    );
    return line;
  }
}
