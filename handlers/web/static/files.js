// What the page checks of a file before sending it: its kind (JPEG or PNG, the only kinds the
// pipeline takes) and its size (not empty, within the stack's byte limit). The pipeline checks the
// bytes themselves later; this saves sending what would be refused anyway.

import { limit } from "./format.js";

const TYPES = new Set(["image/jpeg", "image/png"]);
const EXTENSIONS = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" };

/** The content type a file is sent as, or null when it is not a JPEG or PNG. */
export function contentTypeOf(file) {
  if (file.type) return TYPES.has(file.type) ? file.type : null;
  const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  return EXTENSIONS[extension] ?? null;
}

/** Why `file` cannot be sent, or null when it can. */
export function refusal(file, maxBytes) {
  if (!contentTypeOf(file)) return "not a JPEG or PNG";
  if (file.size === 0) return "an empty file";
  if (maxBytes && file.size > maxBytes) return `over the ${limit(maxBytes)} limit`;
  return null;
}
