"""The benchmark's figures as a table for people and as JSON for tools."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

# Targets from the benchmark issue, printed beside the figures (never asserted in tests).
KERNEL_COLUMNS = (
    ("case", "case", "{}"),
    ("megapixels", "MP", "{:.1f}"),
    ("ours_ms", "ours ms", "{:.0f}"),
    ("floor_ms", "floor ms", "{:.0f}"),
    ("pyvips_ms", "pyvips ms", "{:.0f}"),
    ("naive_ms", "naive ms", "{:.0f}"),
    ("ours_peak_mb", "ours MB", "{:.0f}"),
    ("pyvips_peak_mb", "pyvips MB", "{:.0f}"),
    ("psnr_db", "PSNR dB", "{:.1f}"),
)
COLDSTART_COLUMNS = (
    ("handler", "handler", "{}"),
    ("first_call", "first call", "{}"),
    ("import_ms", "import ms", "{:.0f}"),
    ("setup_ms", "first call ms", "{:.0f}"),
    ("sdk_ms", "of it boto3 ms", "{:.0f}"),
    ("init_ms", "total ms", "{:.0f}"),
    ("over_floor_ms", "over floor ms", "{:.0f}"),
    ("warm_ms", "warm call ms", "{:.0f}"),
)
SDK_FLOOR_LABEL = "floor: SDK + 1 client"  # the coldstart section's `sdk_floor` row
PACKAGE_COLUMNS = (
    ("function", "function", "{}"),
    ("package", "package", "{}"),
    ("zip_mb", "zip MB", "{:.1f}"),
    ("unzipped_mb", "unzipped MB", "{:.1f}"),
    ("files", "files", "{:,}"),
    ("loaded_mb", "loaded MB", "{:.1f}"),
)
SHARES_SHOWN = 5  # owners named per handler in the import breakdown; the rest summed
COLDSTART_TOTAL_MS = 250.0  # issue 11: import + first call, every handler, the web function's included
API_COLUMNS = (
    ("route", "route", "{}"),
    ("records", "records", "{:,}"),
    ("page", "page", "{:d}"),
    ("p50_ms", "p50 ms", "{:.0f}"),
    ("p95_ms", "p95 ms", "{:.0f}"),
    ("mean_ms", "mean ms", "{:.0f}"),
)
LARGEST_COLUMNS = (
    ("case", "case", "{}"),
    ("mb", "file MB", "{:.1f}"),
    ("ingest_ms", "ingest ms", "{:.0f}"),
    ("ingest_used_mb", "ingest used MB", "{:d}"),
    ("ingest_memory_mb", "of MB", "{:d}"),
    ("enhance_ms", "enhance ms", "{:.0f}"),
    ("enhance_used_mb", "enhance used MB", "{:d}"),
    ("enhance_memory_mb", "of MB", "{:d}"),
)
API_ROUTES = {
    "edge": "CDN edge → API Gateway → web function",
    "app": "web app under gunicorn, table copy",
    "instances": "CDN edge → load balancer → instance",
}


def table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str, str], ...]) -> str:
    """`rows` under `columns` (key, title, format): text (format "{}") left-aligned, figures right."""
    cells = [[title for _, title, _ in columns]]
    for row in rows:
        cells.append([fmt.format(row[key]) if row.get(key) is not None else "-" for key, _, fmt in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    text = [i == 0 or fmt == "{}" for i, (_, _, fmt) in enumerate(columns)]
    lines = [
        "  ".join(
            cell.ljust(width) if left else cell.rjust(width)
            for cell, width, left in zip(line, widths, text, strict=True)
        ).rstrip()
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _ratio(row: dict[str, Any], key: str, top: str, bottom: str, floor: float = 0.0) -> float | None:
    """`row[key]` where the kernel section gave it (the median of per-round ratios), else the ratio
    of the medians `top` / `bottom` (at least `floor`); None where a figure is missing (a contender
    that did not run)."""
    if key in row:
        return cast("float | None", row[key])
    if row.get(top) is None or row.get(bottom) is None:
        return None
    return cast(float, row[top] / max(row[bottom], floor))


def render(results: dict[str, Any]) -> str:
    """The results as printed by `make bench`: each section the run measured, in this order."""
    sections: list[tuple[str, Callable[[Any], list[str]]]] = [
        ("kernel", _render_kernel),
        ("formats", _render_formats),
        ("coldstart", _render_coldstart),
        ("packages", _render_packages),
        ("pipeline", _render_pipeline),
        ("largest", _render_largest),
        ("api", render_api),
        ("duplicates", render_duplicates),
        ("faults", render_faults),
    ]
    parts = []
    for name, rendered in sections:
        if results.get(name):
            parts.extend(rendered(results[name]))
    return "\n".join(parts)


def _render_kernel(kernel: list[dict[str, Any]]) -> list[str]:
    parts = ["Kernel: one photo in, a 1600 px and a 256 px output out (medians, single-threaded)"]
    parts.append(table(kernel, KERNEL_COLUMNS))
    for row in kernel:
        vs_pyvips = _ratio(row, "ours_vs_pyvips", "ours_ms", "pyvips_ms")
        vs_floor = _ratio(row, "ours_vs_floor", "ours_ms", "floor_ms")
        vs_naive = _ratio(row, "naive_vs_ours", "naive_ms", "ours_ms")
        memory = _ratio(row, "peak_vs_pyvips", "ours_peak_mb", "pyvips_peak_mb", floor=0.1)
        times = [
            f"{vs_pyvips:.2f}× pyvips time" if vs_pyvips is not None else None,
            f"{vs_floor:.2f}× floor time" if vs_floor is not None else None,
        ]
        ratios = [
            "ours " + ", ".join(t for t in times if t) if any(times) else None,
            f"{vs_naive:.1f}× faster than naive" if vs_naive is not None else None,
            f"memory {memory:.2f}× pyvips" if memory is not None else None,
        ]
        parts.append(f"  {row['case']}: {', '.join(r for r in ratios if r)}")
    parts.append("  ours / floor time is what our enhancement, orientation and safety checks cost")
    # Not a top-level import: harness.bench imports this module before it defines what the kernel needs.
    from harness.bench.kernel import TARGETS, target_notes

    parts.append(textwrap.fill("; ".join(TARGETS), 100, initial_indent="  targets: ", subsequent_indent=" " * 11))
    parts.extend(f"    {note}" for note in target_notes(kernel))
    return parts


def _render_coldstart(coldstart: list[dict[str, Any]]) -> list[str]:
    parts = ["\nCold start: handler module import in a fresh interpreter, then its first call (medians)"]
    rows = [
        {**row, "handler": SDK_FLOOR_LABEL if row["handler"] == "sdk_floor" else row["handler"]} for row in coldstart
    ]
    parts.append(table(rows, COLDSTART_COLUMNS))
    parts.append(
        f"  target: total (import + first call) ≤ {COLDSTART_TOTAL_MS:g} ms for every handler,"
        " the web function's included"
    )
    parts.extend(f"    {note}" for note in coldstart_notes(rows))
    parts.append(
        "  first call: a stage's setup (import boto3, its clients, the idempotency store), or the web function's\n"
        "  first request (the app, its clients, the session key; AWS is a moto server); warm: a second request;\n"
        "  the floor: an empty module whose first call imports boto3 and makes one DynamoDB client"
    )
    parts.extend(import_breakdown(rows))
    return parts


def _render_packages(packages: list[dict[str, Any]]) -> list[str]:
    return [
        "\nPackage: the deployment package of each function",
        table(packages, PACKAGE_COLUMNS),
        "  loaded: what of its package the function's cold start imported (the rest is never loaded)",
    ]


FORMAT_COLUMNS = (
    ("case", "case", "{}"),
    ("format", "format", "{}"),
    ("quality", "Q", "{:d}"),
    ("ours_ms", "ours ms", "{:.0f}"),
    ("pyvips_ms", "pyvips ms", "{:.0f}"),
    ("ours_bytes", "ours KB", "{:,.0f}"),
    ("pyvips_matched_bytes", "pyvips KB at our SSIM", "{:,.0f}"),
    ("ours_ssim", "ours SSIM", "{:.4f}"),
    ("ours_psnr_db", "ours PSNR", "{:.1f}"),
    ("pyvips_psnr_db", "pyvips PSNR", "{:.1f}"),
)
ENHANCE_COLUMNS = (
    ("outputs", "outputs", "{}"),
    ("variants", "files", "{:d}"),
    ("render_ms", "render ms", "{:.0f}"),
    ("usd_per_1000", "$ per 1000 (render, 1 GB)", "{:.4f}"),
)


def _render_formats(formats: dict[str, Any]) -> list[str]:
    rows = [
        {**row, "ours_bytes": row["ours_bytes"] / 1024, "pyvips_matched_bytes": row["pyvips_matched_bytes"] / 1024}
        for row in formats["formats"]
    ]
    parts = ["Formats: our WebP and AVIF against libvips's, the same 1600 px pixels (medians, one CPU)"]
    parts.append(table(rows, FORMAT_COLUMNS))
    for row in formats["formats"]:
        time = row["ours_ms"] / row["pyvips_ms"]
        size = row["ours_bytes"] / row["pyvips_matched_bytes"] - 1
        parts.append(
            f"  {row['case']} {row['format']}: ours {time:.2f}× pyvips time, {size:+.1%} bytes at matched SSIM"
        )
    parts.append("  targets: no slower than pyvips, bytes within 5 % at matched quality (SSIM on luma, 8×8 blocks)")
    parts.append("Enhance: a 12 MP photo rendered, JPEG alone and with the default formats and widths (one CPU)")
    parts.append(table(formats["enhance"], ENHANCE_COLUMNS))
    return parts


def _render_pipeline(p: dict[str, Any]) -> list[str]:
    parts = ["\nPipeline: 2 MP JPEG uploads through the deployed stack in the emulator"]
    parts.append(
        f"  sequential ({p['images']} uploads): p50 {p['p50_s']:.2f} s, p95 {p['p95_s']:.2f} s upload → processed\n"
        f"  burst ({p['burst']} at once): {p['per_min']:.0f} images per minute ({p['burst_s']:.1f} s for all)\n"
        f"  floor (S3 put → SNS → SQS, no Lambda): {p['floor_ms']:.0f} ms;"
        f" p50 / floor = {p['p50_over_floor']:.1f}\n"
        "  target: p50 ≤ 1.5 s"
    )
    if "command_p50_s" in p:
        parts.append(
            f"  commands ({p['images']} captions in a row): p50 {p['command_p50_s']:.2f} s,"
            f" p95 {p['command_p95_s']:.2f} s publish → record changed"
        )
    return parts


def _render_largest(largest: list[dict[str, Any]]) -> list[str]:
    parts = ["\nLargest: the largest image the stack takes, through ingest and enhance at their memory settings"]
    parts.append(table(largest, LARGEST_COLUMNS))
    for row in largest:
        room = row["enhance_memory_mb"] / row["enhance_used_mb"]
        parts.append(
            f"  {row['case']}: enhance used {row['enhance_used_mb']} of {row['enhance_memory_mb']} MB"
            f" ({room:.1f}× room), {row['enhance_ms'] / 1000:.1f} of {row['enhance_timeout_s']} s"
        )
    return parts


def coldstart_notes(rows: list[dict[str, Any]]) -> list[str]:
    """The cold start target, met or not, per handler: its total ``init_ms`` (import + first call)."""
    notes = []
    for row in rows:
        total = row.get("init_ms")
        ok = total is not None and total <= COLDSTART_TOTAL_MS
        shown = "n/a" if total is None else f"{total:.0f} ms"
        notes.append(
            f"{'met' if ok else 'NOT met'}: {row['handler']}: total (import + first call) = {shown}"
            f" (target ≤ {COLDSTART_TOTAL_MS:g} ms)"
        )
    return notes


def import_breakdown(rows: list[dict[str, Any]]) -> list[str]:
    """Per handler, where its cold start's import time goes (`import_shares`), the largest owners
    first: "handlers.imaging_functions.ingest: runtime 42%, aws-lambda-powertools 14%, …, others 9%"."""
    lines = []
    for row in rows:
        shares = row.get("import_shares")
        if not shares:
            continue
        named = list(shares.items())[:SHARES_SHOWN]
        rest = sum(shares.values()) - sum(share for _, share in named)
        parts = [f"{owner} {share:.0f}%" for owner, share in named]
        if rest >= 0.5:
            parts.append(f"others {rest:.0f}%")
        lines.append(f"    {row['handler']}: {', '.join(parts)}")
    if lines:
        lines.insert(0, "  where the imports' time goes (own time per module under -X importtime, by owner):")
    return lines


def render_api(api: dict[str, Any]) -> list[str]:
    """The api section: a row per route, list size and page, the ratios, the seeding."""
    requests = max((row["requests"] for row in api["cases"]), default=0)
    small, large = api["sizes"]
    rows = [{**row, "route": API_ROUTES.get(row["route"], row["route"])} for row in api["cases"]]
    ratios = ", ".join(f"{page} {ratio:.2f}×" for page, ratio in api["ratios"].items())
    return [
        f"\nAPI: GET /api/images signed in, {api['page_size']} a page: the first page and page {api['page']}"
        f" by cursor ({requests} requests each, interleaved)",
        table(rows, API_COLUMNS),
        f"  {large:,} records / {small:,} (p50, web app): {ratios}; flat is 1.00×",
        f"  seeded {api['seed_records']:,} records in {api['seed_s']:.1f} s"
        f" (BatchWriteItem, {api['seed_threads']} threads)",
        "  the table copy has the stack table's keys and indexes but no stream: 10 000 records in the stack's",
        "  table would queue 10 000 outcome notices for the notify function (harness/bench/api.py says more)",
        *render_instances(api.get("instances")),
    ]


def render_instances(tier: dict[str, Any] | None) -> list[str]:
    """The instances tier's own figures: one instance's throughput, its instances' boots."""
    if tier is None:
        return []
    load = tier["throughput"]
    boots = tier["boots"]
    lines = [
        f"  one instance (gunicorn, 2 workers), {load['clients']} clients for {load['seconds']} s:"
        f" {load['per_second']} list requests/s ({load['requests']} answered)",
    ]
    for boot in boots:
        lines.append(
            f"  instance {boot['id']}: booted from the user data in {boot['boot_s']} s,"
            f" healthy {boot['healthy_after_s']} s after launch (2 checks, 10 s apart)"
        )
    return lines


DUPLICATE_COLUMNS = (
    ("case", "upload", "{}"),
    ("images", "owner's images", "{:,}"),
    ("queries", "Queries", "{:.1f}"),
    ("items_read", "items read", "{:.2f}"),
    ("read_units", "read units", "{:.2f}"),
    ("checked", "records checked", "{:.2f}"),
    ("sharing", "images sharing a band", "{:.2f}"),
    ("found", "found", "{:.0%}"),
    ("p50_ms", "p50 ms", "{:.0f}"),
)
DUPLICATE_CASES = {"unrelated": "unrelated", "alike": "alike a scene", "copy": "a copy"}


def render_duplicates(duplicates: dict[str, Any]) -> list[str]:
    """The duplicates section: a row per owner and kind of upload, then each kind from the
    smallest owner to the largest."""
    cases = duplicates["cases"]
    lookups = max(row["lookups"] for row in cases)
    rows = [{**row, "case": DUPLICATE_CASES.get(row["case"], row["case"])} for row in cases]
    parts = [
        f"\nDuplicates: the duplicate lookup per ingest, one owner's images in DynamoDB (means of {lookups} lookups)",
        table(rows, DUPLICATE_COLUMNS),
    ]
    for case, label in DUPLICATE_CASES.items():
        ends = sorted((row for row in cases if row["case"] == case), key=lambda row: row["images"])
        if len(ends) > 1:
            small, large = ends[0], ends[-1]
            change = ", ".join(
                f"{small[key]:.2f} → {large[key]:.2f} {name}"
                for key, name in (("queries", "Queries"), ("items_read", "items"), ("read_units", "units"))
            )
            parts.append(f"  {label}, {small['images']:,} → {large['images']:,} images: {change}")
    parts += [
        "  target: flat: the cost per ingest (reads) the same at 100 and 10 000 images of one owner",
        "  read units: as the emulator's DynamoDB reports them (eventually consistent: 0.5 a Query per 4 KB read)",
        "  records checked: the images table GetItems the pipeline adds, one per matching image",
        f"  seeded {duplicates['seed_items']:,} band items (8 an image) in {duplicates['seed_s']:.1f} s"
        f" (BatchWriteItem, {duplicates['seed_threads']} threads)",
    ]
    return parts


def render_faults(f: dict[str, Any]) -> list[str]:
    """The faults section: the burst under enhance's fault, what became of it, and its repair."""
    retries = "n/a (the emulator published no Lambda metrics)" if f["retries"] is None else f"{f['retries']}"
    errors = (
        ""
        if f["enhance_errors"] is None
        else f" ({f['enhance_errors']} failed enhance invocations of {f['enhance_invocations']})"
    )
    parts = [
        f"\nFaults: a burst of {f['uploads']} uploads ({f['invalid']} invalid) with enhance failing"
        f" {f['error_rate']:.0%} of its invocations",
        f"  enhance's queue: VisibilityTimeout {f['visibility_s']} s for the run"
        f" (deployed: {f['visibility_restored_s']} s, put back after), maxReceiveCount {f['max_receives']}",
        f"  drained in {f['drain_s']:.1f} s (first upload → last terminal record;"
        f" uploads sent in {f['upload_s']:.1f} s): {f['per_min']:.0f} uploads per minute",
        f"  ended: {f['processed']} processed, {f['rejected']} rejected, {f['failed']} failed",
        f"  retries (receives beyond a message's first): {retries}{errors}",
        f"  parked in enhance's dead-letter queue: {f['parked']}",
        f"  notices: {f['notices']} outcome notices, {f['notices_missing']} uploads missing one,"
        f" {f['notices_duplicated']} duplicated, {f['notices_unexpected']} of another status than the record's",
    ]
    if f["redriven"]:
        parts.append(
            f"  after clear + redrive: {f['redriven']} moved ({f['redrive_how']}), repaired in {f['repair_s']:.1f} s,"
            f" {f['repair_notices_missing']} processed notices missing"
        )
    else:
        parts.append("  after clear: nothing parked, so nothing to redrive")
    parts.append(
        f"  valid uploads processed in the end: {f['valid_processed']} of {f['valid']};"
        f" invalid rejected: {f['invalid_rejected']} of {f['invalid']}"
    )
    return parts


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2) + "\n")
