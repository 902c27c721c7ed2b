"""Image files that carry rights signals, written the way real tools write them.

XMP, PNG text chunks and EXIF come from ``sample_data/signals.py`` (the sample
generator's own writer); C2PA manifests are signed here with a throw-away ES256
certificate chain (a test root and a signer) made with ``cryptography``.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
from functools import cache
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("sample_signals", REPO / "sample_data" / "signals.py")
signals = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(signals)

xmp_packet, jpeg_with, png_with = signals.xmp_packet, signals.jpeg_with, signals.png_with
PLUS_VOCAB, DIGITAL_SOURCE_TYPE = signals.PLUS_VOCAB, signals.DIGITAL_SOURCE_TYPE


def picture(seed: int = 0, size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A small distinct RGB picture."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size[1], 0:size[0]]
    c = rng.uniform(40, 215, 3)
    arr = (np.sin(x / (3 + seed % 5))[..., None] * 40 + np.cos(y / 4)[..., None] * 30 + c)
    return Image.fromarray(arr.clip(0, 255).astype("uint8"), "RGB")


@cache
def _signer_files() -> tuple[bytes, bytes]:
    """A PEM chain (signer, then root) and the signer's private key, ES256."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "palette-workbench tests")])

    now = datetime.datetime.now(datetime.timezone.utc)
    valid = {"not_valid_before": now - datetime.timedelta(days=1),
             "not_valid_after": now + datetime.timedelta(days=30)}
    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, encipher_only=False, decipher_only=False)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(name("test root")).issuer_name(name("test root"))
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid["not_valid_before"]).not_valid_after(valid["not_valid_after"])
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True,
                                         crl_sign=True, **usage), critical=True)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(name("test signer")).issuer_name(root.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid["not_valid_before"]).not_valid_after(valid["not_valid_after"])
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                         crl_sign=False, **usage), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    chain = leaf.public_bytes(serialization.Encoding.PEM) + root.public_bytes(
        serialization.Encoding.PEM)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return chain, pem


def c2pa_signed_jpeg(path: Path, *, training: str | None = "notAllowed",
                     source_type: str | None = "trainedAlgorithmicMedia",
                     seed: int = 0) -> Path:
    """A JPEG with a signed C2PA manifest: a CAWG training-and-mining assertion and/or a
    ``c2pa.created`` action with a digital source type."""
    import c2pa

    plain = path.with_name(path.stem + "-unsigned.jpg")
    picture(seed).save(plain, quality=90)
    # C2PA requires a first action that creates the asset; a camera's by default.
    assertions = [{"label": "c2pa.actions", "data": {"actions": [{
        "action": "c2pa.created",
        "digitalSourceType": DIGITAL_SOURCE_TYPE + (source_type or "digitalCapture")}]}}]
    if training:
        assertions.append({"label": "cawg.training-mining", "data": {"entries": {
            "cawg.ai_training": {"use": training},
            "cawg.ai_generative_training": {"use": training}}}})
    manifest = {"claim_generator_info": [{"name": "palette-workbench tests", "version": "1"}],
                "title": path.name, "assertions": assertions}
    chain, key = _signer_files()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, key,
                                                       None))
    with c2pa.Builder(json.dumps(manifest)) as builder, plain.open("rb") as src, \
            path.open("wb") as dst:
        builder.sign(signer, "image/jpeg", src, dst)
    plain.unlink()
    return path


def tamper(path: Path) -> Path:
    """Flip one byte of the image data, so a C2PA manifest's hash no longer matches."""
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF
    path.write_bytes(bytes(data))
    return path
