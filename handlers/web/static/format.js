// How numbers, dates and states read on the page.

const MB = 1024 * 1024;
const KB = 1024;

/** A byte count as people read it: "812 B", "35 KB", "4.2 MB". */
export function bytes(count) {
  if (count === null || count === undefined) return "unknown";
  if (count < KB) return `${count} B`;
  if (count < MB) return `${Math.round(count / KB)} KB`;
  const megabytes = count / MB;
  return `${megabytes >= 10 ? Math.round(megabytes) : Number(megabytes.toFixed(1))} MB`;
}

/** The upload limit as a refusal says it: "25 MB", "1.5 MB", "976.56 KB", "1000 bytes" (never
 * rounded by more than a hundredth of its unit). */
export function limit(count) {
  if (count >= MB) return `${Number((count / MB).toFixed(2))} MB`;
  if (count >= KB) return `${Number((count / KB).toFixed(2))} KB`;
  return `${count} bytes`;
}

/** An ISO 8601 time in the reader's own zone and language; the text as it is if it is not one. */
export function moment(iso) {
  if (!iso) return "";
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(time);
}

/** "3000 × 2000 px", or "" when a side is unknown. */
export function dimensions(width, height) {
  return width && height ? `${width} × ${height} px` : "";
}

/** What an image shows for itself: the caption, else the file name (alt text, titles). */
export function altText(record) {
  return record.caption || record.file_name || "image";
}

export const TERMINAL = new Set(["processed", "rejected", "failed", "deleted"]);
