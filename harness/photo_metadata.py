"""Photos that say who made them, as a picture desk's tools write it: an XMP packet (Dublin Core,
Photoshop and XMP basic properties) and IPTC IIM datasets in a JPEG's APP13 (Photoshop's resource
0x0404), for the demo's samples and the tests of what ingest reads (handlers/imaging/credits.py)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from xml.sax.saxutils import escape

IPTC_UTF8 = ((1, 90), b"\x1b%G")


def xmp_packet(
    caption: str | None = None,
    creators: Sequence[str] = (),
    rights: str | None = None,
    subjects: Sequence[str] = (),
    date_created: str | None = None,
) -> bytes:
    """An XMP packet with these properties, as Lightroom and Photo Mechanic write them."""
    properties = []
    if caption is not None:
        properties.append(_alternative("dc:description", caption))
    if creators:
        items = "".join(f"<rdf:li>{escape(name)}</rdf:li>" for name in creators)
        properties.append(f"<dc:creator><rdf:Seq>{items}</rdf:Seq></dc:creator>")
    if rights is not None:
        properties.append(_alternative("dc:rights", rights))
    if subjects:
        items = "".join(f"<rdf:li>{escape(word)}</rdf:li>" for word in subjects)
        properties.append(f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>")
    dated = f' photoshop:DateCreated="{escape(date_created)}"' if date_created else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"{dated}>'
        f"{''.join(properties)}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def _alternative(name: str, text: str) -> str:
    """A language alternative with one (default language) value."""
    return f'<{name}><rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt></{name}>'


def with_iptc(jpeg: bytes, datasets: Sequence[tuple[tuple[int, int], bytes]]) -> bytes:
    """`jpeg` with an APP13 segment holding these IPTC IIM datasets ((record, dataset), value),
    after its SOI, as Photoshop writes it."""
    iim = b"".join(b"\x1c" + bytes(key) + struct.pack(">H", len(value)) + value for key, value in datasets)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    resource += b"\x00" * (len(iim) % 2)  # resources are padded to an even length
    payload = b"Photoshop 3.0\x00" + resource
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]
