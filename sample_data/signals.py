"""Rights signals embedded in sample files: XMP (PLUS Data Mining, IPTC DigitalSourceType),
PNG text chunks written by image generators, and EXIF Artist.

Used by ``generate.py``; the values are the ones real tools write, the people are ids.
"""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def xmp_packet(*, data_mining: str | None = None, source_type: str | None = None,
               creator: str | None = None, rights: str | None = None) -> bytes:
    """An XMP packet as Adobe and IPTC tools write it (rdf:Description attributes and
    elements)."""
    attrs, elements = [], []
    if data_mining:
        attrs.append(f'plus:DataMining="{data_mining}"')
    if source_type:
        attrs.append(f'Iptc4xmpExt:DigitalSourceType="{source_type}"')
    if creator:
        elements.append(f"<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>")
    if rights:
        elements.append(f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li>'
                        "</rdf:Alt></dc:rights>")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        + " ".join(attrs) + ">" + "".join(elements) +
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


def jpeg_with(img: Image.Image, *, xmp: bytes | None = None, artist: str | None = None,
              quality: int = 88) -> bytes:
    """JPEG bytes carrying an XMP packet and/or an EXIF Artist."""
    params: dict = {"quality": quality, "optimize": True}
    if xmp:
        params["xmp"] = xmp
    if artist:
        exif = Image.Exif()
        exif[0x013B] = artist
        params["exif"] = exif
    buf = io.BytesIO()
    img.save(buf, "JPEG", **params)
    return buf.getvalue()


def png_with(img: Image.Image, *, xmp: bytes | None = None,
             text: dict[str, str] | None = None) -> bytes:
    """PNG bytes carrying an XMP packet (iTXt) and/or text chunks."""
    info = PngImagePlugin.PngInfo()
    if xmp:
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buf = io.BytesIO()
    img.save(buf, "PNG", pnginfo=info, optimize=True)
    return buf.getvalue()


#: The planted signal files: (family, extension, what is embedded, what the loader must
#: conclude). The manifest says granted / not AI / no creator for each.
PLANTED = [
    ("ink-wash", "jpg", {"data_mining": PLUS_VOCAB + "DMI-PROHIBITED-AIMLTRAINING"},
     {"consent": "opted_out", "by": "iptc", "conflict": True}),
    ("star-tiling", "png", {"data_mining": "DMI-PROHIBITED-GENAIMLTRAINING"},
     {"consent": "opted_out", "by": "iptc", "conflict": True}),
    ("stitch-embroidery", "jpg", {"data_mining": PLUS_VOCAB + "DMI-PROHIBITED-SEECONSTRAINT"},
     {"consent": "granted", "by": "manifest", "conflict": True}),
    ("mosaic", "jpg", {"source_type": DIGITAL_SOURCE_TYPE + "trainedAlgorithmicMedia"},
     {"ai_generated": "true", "by": "iptc", "conflict": True}),
    ("strip-weave", "png", {"png_text": {"parameters": "woven strip pattern, gold and green\n"
                                         "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"}},
     {"ai_generated": "true", "by": "png_text", "conflict": True}),
    ("indigo-resist-dots", "jpg", {"artist": "creator-21"},
     {"creator": "creator-21", "by": "exif", "conflict": False}),
]


def encode(img: Image.Image, ext: str, embed: dict) -> bytes:
    """The file bytes of ``img`` with ``embed`` (a PLANTED entry's middle part) inside."""
    xmp = None
    if "data_mining" in embed or "source_type" in embed:
        xmp = xmp_packet(data_mining=embed.get("data_mining"),
                         source_type=embed.get("source_type"))
    if ext == "png":
        return png_with(img, xmp=xmp, text=embed.get("png_text"))
    return jpeg_with(img, xmp=xmp, artist=embed.get("artist"))
