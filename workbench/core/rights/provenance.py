"""Consent and provenance written into the image files themselves.

Read in the same pass as the rest of a file's inspection (the header is already open):

* **XMP** (JPEG, PNG, WebP, TIFF): ``dc:creator``, ``dc:rights``,
  ``xmpRights:WebStatement``, ``xmpRights:UsageTerms``; and the IPTC properties carried
  in it: the PLUS **Data Mining** property (IPTC Photo Metadata 2023.1) and
  **DigitalSourceType** (IPTC Extension);
* **IPTC IIM** (JPEG APP13): By-line and Copyright Notice;
* **EXIF**: ``Artist`` and ``Copyright``;
* **PNG text chunks** that image generators write: ``parameters`` (AUTOMATIC1111 and
  its forks), ``prompt`` / ``workflow`` (ComfyUI);
* **C2PA** manifests (through ``c2pa-python``): ``c2pa.training-mining`` or
  ``cawg.training-mining`` entries, a trained-algorithmic-media ``digitalSourceType``,
  and whether the manifest validated.

Each finding is a :class:`Signal` with the field it speaks to (``consent``,
``ai_generated``, ``creator``, ``rights``), its value, its source (``xmp``, ``iptc``,
``exif``, ``png_text``, ``c2pa``) and what exactly was read. A file with none of these
has no embedded signal, which says nothing about consent. Damaged metadata is a note, not
a failure: the image is still loaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

#: Notes on metadata that could not be read or did not validate (they describe the bytes).
METADATA_NOTES = frozenset({"xmp_malformed", "exif_malformed", "iptc_malformed",
                            "c2pa_unreadable", "c2pa_invalid", "c2pa_unchecked"})
#: Where signals come from, as recorded on each value.
SOURCES = ("manifest", "xmp", "iptc", "exif", "png_text", "c2pa", "registry", "default")

_PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
_DC = "http://purl.org/dc/elements/1.1/"
_XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

#: PLUS Data Mining values that mean "not cleared": opted out unless a manifest grants.
NOT_CLEARED = ("DMI-PROHIBITED-SEECONSTRAINT", "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
               "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR")
#: IPTC digital source types that mean AI-generated (or containing AI-generated parts).
AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                   "algorithmicMedia", "compositeSynthetic", "algorithmicallyEnhanced")
#: PNG text keys that image generators write.
GENERATOR_KEYS = ("parameters", "prompt", "workflow")
#: C2PA / CAWG training-and-mining entries that forbid AI training.
_TRAINING_ENTRIES = ("c2pa.ai_training", "c2pa.ai_generative_training", "cawg.ai_training",
                     "cawg.ai_generative_training")


@dataclass(frozen=True)
class Signal:
    """One rights or provenance value found in a file."""

    field: str
    value: str
    source: str
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FileSignals:
    """What a file says about itself: the signals, and notes on metadata that could not be
    read (``xmp_malformed``, ``c2pa_unreadable``, ``c2pa_invalid``...)."""

    signals: list[Signal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def of(self, name: str) -> list[Signal]:
        """The signals about field ``name``."""
        return [s for s in self.signals if s.field == name]

    def to_dicts(self) -> list[dict]:
        return [s.to_dict() for s in self.signals]


def data_mining_value(text: str) -> str:
    """The PLUS Data Mining key of a value written as the vocabulary URI or the bare key.

    Examples
    --------
    >>> data_mining_value("http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING")
    'DMI-PROHIBITED-AIMLTRAINING'
    >>> data_mining_value(" dmi-prohibited ")
    'DMI-PROHIBITED'
    """
    return text.strip().rstrip("/").rsplit("/", 1)[-1].upper()


def consent_of_data_mining(text: str) -> str | None:
    """``opted_out``, ``not_cleared``, ``allowed`` or None (unspecified or unknown)."""
    key = data_mining_value(text)
    if key in NOT_CLEARED:
        return "not_cleared"
    if key.startswith("DMI-PROHIBITED"):
        return "opted_out"
    if key == "DMI-ALLOWED":
        return "allowed"
    return None


def is_ai_source_type(text: str) -> bool:
    """Whether an IPTC digital source type (URI or bare term) means AI-generated media.

    Examples
    --------
    >>> is_ai_source_type("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
    True
    >>> is_ai_source_type("digitalCapture")
    False
    """
    term = text.strip().rstrip("/").rsplit("/", 1)[-1]
    return term in AI_SOURCE_TYPES


# -- XMP ---------------------------------------------------------------------------------

def _texts(element) -> list[str]:
    """The text of an XMP property: a simple value, or the items of an rdf Seq/Bag/Alt."""
    items = [li.text or "" for li in element.iter(f"{{{_RDF}}}li")]
    values = items if items else [element.text or element.get(f"{{{_RDF}}}resource") or ""]
    return [v.strip() for v in values if v and v.strip()]


def _xmp_values(root, namespace: str, name: str) -> list[str]:
    """Every value of property ``namespace:name``, written as an element or an attribute."""
    tag = f"{{{namespace}}}{name}"
    found = [v for el in root.iter(tag) for v in _texts(el)]
    found += [el.get(tag).strip() for el in root.iter() if el.get(tag)]
    return found


def read_xmp(packet: bytes | str, out: FileSignals) -> None:
    """Add the signals of one XMP packet to ``out`` (malformed XML becomes a note)."""
    import defusedxml.ElementTree as safe_xml

    out.checked.append("xmp")
    text = packet.decode("utf-8", "replace") if isinstance(packet, bytes) else packet
    text = text.strip("\x00 \n\r\t")
    start = text.find("<")
    from xml.etree.ElementTree import ParseError

    try:
        root = safe_xml.fromstring(text[start:] if start >= 0 else text)
    except (ParseError, ValueError):  # defusedxml's refusals are ValueErrors
        out.notes.append("xmp_malformed")
        return
    for value in _xmp_values(root, _PLUS, "DataMining"):
        consent = consent_of_data_mining(value)
        if consent is not None:
            out.signals.append(Signal("consent", consent, "iptc",
                                      f"plus:DataMining={data_mining_value(value)}"))
    for value in _xmp_values(root, _IPTC_EXT, "DigitalSourceType"):
        if is_ai_source_type(value):
            out.signals.append(Signal("ai_generated", "true", "iptc",
                                      f"DigitalSourceType={value.rsplit('/', 1)[-1]}"))
    for value in _xmp_values(root, _DC, "creator"):
        out.signals.append(Signal("creator", value, "xmp", "dc:creator"))
    for prop, ns, name in (("dc:rights", _DC, "rights"),
                           ("xmpRights:UsageTerms", _XMP_RIGHTS, "UsageTerms"),
                           ("xmpRights:WebStatement", _XMP_RIGHTS, "WebStatement")):
        for value in _xmp_values(root, ns, name):
            out.signals.append(Signal("rights", value, "xmp", prop))


# -- EXIF, IPTC IIM, PNG text ------------------------------------------------------------

_EXIF_ARTIST, _EXIF_COPYRIGHT = 0x013B, 0x8298
_IIM_BYLINE, _IIM_COPYRIGHT = (2, 80), (2, 116)


def _decode(value) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(_decode(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def read_header(image, out: FileSignals) -> None:
    """Add the signals in an open Pillow image's header to ``out``: XMP, EXIF, IPTC IIM and
    PNG text chunks. Nothing is decoded beyond what opening the image read."""
    info = image.info
    packet = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if packet:
        read_xmp(packet, out)
    exif_raw = info.get("exif")
    if exif_raw or image.format in ("JPEG", "TIFF", "WEBP", "MPO"):
        out.checked.append("exif")
        try:
            exif = image.getexif()
        except Exception:  # noqa: BLE001 - Pillow raises many types for a bad EXIF block
            out.notes.append("exif_malformed")
        else:
            for tag, name, kind in ((_EXIF_ARTIST, "Artist", "creator"),
                                    (_EXIF_COPYRIGHT, "Copyright", "rights")):
                value = _decode(exif.get(tag, "")).strip("\x00 ")
                if value:
                    out.signals.append(Signal(kind, value, "exif", name))
    if image.format == "JPEG":
        from PIL import IptcImagePlugin

        out.checked.append("iptc")
        try:
            iim = IptcImagePlugin.getiptcinfo(image) or {}
        except Exception:  # noqa: BLE001 - a damaged APP13 block
            out.notes.append("iptc_malformed")
            iim = {}
        for key, kind, label in ((_IIM_BYLINE, "creator", "By-line"),
                                 (_IIM_COPYRIGHT, "rights", "Copyright Notice")):
            if iim.get(key):
                out.signals.append(Signal(kind, _decode(iim[key]).strip(), "iptc", label))
    if image.format == "PNG":
        out.checked.append("png_text")
        found = [k for k in GENERATOR_KEYS if k in info]
        if found:
            out.signals.append(Signal("ai_generated", "true", "png_text",
                                      f"PNG text chunk(s) {', '.join(repr(k) for k in found)} "
                                      "written by an image generator"))


# -- C2PA --------------------------------------------------------------------------------

def read_c2pa(path: str, out: FileSignals) -> None:
    """Add the signals of a file's C2PA manifest store to ``out`` (call it when the file
    holds one; see :func:`workbench.core.pixels.hashing.sha256_and_markers`)."""
    out.checked.append("c2pa")
    try:
        import c2pa
    except ImportError:
        out.notes.append("c2pa_unchecked")
        return
    try:
        with c2pa.Reader(path) as reader:
            store = json.loads(reader.json())
    except (c2pa.C2paError, OSError, ValueError) as exc:
        if "ManifestNotFound" not in type(exc).__name__:
            out.notes.append("c2pa_unreadable")
        return
    state = store.get("validation_state") or "Unknown"
    codes = sorted({s.get("code", "") for s in store.get("validation_status") or []})
    failures = [c for c in codes if c and c != "signingCredential.untrusted"]
    out.signals.append(Signal("c2pa", state, "c2pa",
                              "validation: " + (", ".join(codes) or "no problems")))
    if state == "Invalid" or failures:
        out.notes.append("c2pa_invalid")
    for manifest in (store.get("manifests") or {}).values():
        for assertion in manifest.get("assertions") or []:
            _c2pa_assertion(assertion, out)


def _c2pa_assertion(assertion: dict, out: FileSignals) -> None:
    label = str(assertion.get("label", ""))
    data = assertion.get("data") or {}
    if re.match(r"^(c2pa|cawg)\.training-mining", label):
        entries = data.get("entries") or {}
        for name in _TRAINING_ENTRIES:
            if str((entries.get(name) or {}).get("use", "")).lower() == "notallowed":
                out.signals.append(Signal("consent", "opted_out", "c2pa",
                                          f"{label}: {name} notAllowed"))
    if label.startswith("c2pa.actions"):
        for action in data.get("actions") or []:
            source_type = str(action.get("digitalSourceType", ""))
            if source_type and is_ai_source_type(source_type):
                out.signals.append(Signal("ai_generated", "true", "c2pa",
                                          f"digitalSourceType={source_type.rsplit('/', 1)[-1]}"))
