// An image as a <picture>: the browser picks the format it decodes best (AVIF, then WebP, then the
// JPEG or PNG) and, from `srcset` and `sizes`, the narrowest width that fills the space at the
// screen's density. The record's `variants` give every published file with its own URL.

import { h } from "./dom.js";
import { altText } from "./format.js";

const MODERN = ["avif", "webp"]; // best first: the browser takes the first <source> it can decode
const THUMBNAIL_SIZES = "16rem"; // how wide a thumbnail is shown (the grid's cards, the review queue)

/** `record`'s variant `name` ("optimized" or "thumbnail") as a <picture> whose <img> has `img`'s
 * attributes (its `src`, the fallback, included), each format's widths in a `srcset` for `sizes`. */
export function picture(record, name, img, sizes) {
  const formats = new Map();
  for (const variant of record.variants ?? []) {
    if (variant.name !== name || !variant.url) continue;
    if (!formats.has(variant.format)) formats.set(variant.format, []);
    formats.get(variant.format).push(variant);
  }
  const srcset = (variants) => variants.map((variant) => `${variant.url} ${variant.width}w`).join(", ");
  const base = formats.get("jpeg") ?? formats.get("png");
  return h(
    "picture",
    {},
    MODERN.filter((format) => formats.has(format)).map((format) =>
      h("source", { type: `image/${format}`, srcset: srcset(formats.get(format)), sizes }),
    ),
    h("img", { ...img, srcset: base ? srcset(base) : null, sizes: base ? sizes : null }),
  );
}

/** `record`'s thumbnail as a lazily loaded <picture>, its text alternative the caption or file name. */
export function thumbnail(record) {
  const img = {
    src: record.thumbnail_url,
    alt: altText(record),
    loading: "lazy",
    width: record.thumbnail_width,
    height: record.thumbnail_height,
  };
  return picture(record, "thumbnail", img, THUMBNAIL_SIZES);
}
