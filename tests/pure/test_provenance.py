"""Rights signals read from the files themselves, written as real tools write them."""

from __future__ import annotations

import pytest

from helpers.rightsfiles import (
    DIGITAL_SOURCE_TYPE,
    PLUS_VOCAB,
    c2pa_signed_jpeg,
    jpeg_with,
    picture,
    png_with,
    tamper,
    xmp_packet,
)
from workbench.core.intake.inspect import inspect_file
from workbench.core.rights.provenance import NOT_CLEARED


def _signals(path) -> dict[tuple[str, str], str]:
    info = inspect_file(str(path))
    assert info.ok, info.detail
    return {(s["field"], s["value"]): s["source"] for s in info.signals}


PROHIBITED = ["DMI-PROHIBITED", "DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING",
              "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"]


@pytest.mark.parametrize("value", PROHIBITED + [PLUS_VOCAB + v for v in PROHIBITED])
@pytest.mark.parametrize("container", ["jpg", "png"])
def test_plus_data_mining_prohibited_means_opted_out(tmp_path, value, container):
    packet = xmp_packet(data_mining=value)
    path = tmp_path / f"a.{container}"
    path.write_bytes(jpeg_with(picture(), xmp=packet) if container == "jpg"
                     else png_with(picture(), xmp=packet))
    assert _signals(path) == {("consent", "opted_out"): "iptc"}


@pytest.mark.parametrize("value", list(NOT_CLEARED) + [PLUS_VOCAB + NOT_CLEARED[0]])
def test_see_constraint_values_mean_not_cleared(tmp_path, value):
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg_with(picture(), xmp=xmp_packet(data_mining=value)))
    assert _signals(path) == {("consent", "not_cleared"): "iptc"}


@pytest.mark.parametrize("term", ["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                                  "algorithmicMedia"])
def test_iptc_digital_source_type_means_ai_generated(tmp_path, term):
    path = tmp_path / "a.png"
    path.write_bytes(png_with(picture(), xmp=xmp_packet(source_type=DIGITAL_SOURCE_TYPE + term)))
    assert _signals(path) == {("ai_generated", "true"): "iptc"}


def test_a_digital_capture_is_not_ai_generated(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg_with(picture(), xmp=xmp_packet(
        source_type=DIGITAL_SOURCE_TYPE + "digitalCapture")))
    assert _signals(path) == {}


@pytest.mark.parametrize("key", ["parameters", "prompt", "workflow"])
def test_generator_png_text_chunks_mean_ai_generated(tmp_path, key):
    path = tmp_path / "a.png"
    path.write_bytes(png_with(picture(), text={key: "a red fox, steps 20"}))
    assert _signals(path) == {("ai_generated", "true"): "png_text"}


def test_exif_artist_and_copyright_and_xmp_creator_and_rights(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg_with(picture(), artist="creator-31", xmp=xmp_packet(
        creator="creator-32", rights="CC BY 4.0, museum open access")))
    found = _signals(path)
    assert found[("creator", "creator-31")] == "exif"
    assert found[("creator", "creator-32")] == "xmp"
    assert found[("rights", "CC BY 4.0, museum open access")] == "xmp"


def test_a_file_with_no_metadata_has_no_signal(tmp_path):
    path = tmp_path / "plain.jpg"
    picture().save(path, quality=90)
    info = inspect_file(str(path))
    assert info.ok and info.signals == [] and "xmp_malformed" not in info.notes
    assert "exif" in info.signals_checked


def test_c2pa_training_mining_and_source_type_are_read_and_validated(tmp_path):
    path = c2pa_signed_jpeg(tmp_path / "signed.jpg")
    info = inspect_file(str(path))
    found = {(s["field"], s["value"]): s for s in info.signals}
    assert found[("consent", "opted_out")]["source"] == "c2pa"
    assert "notAllowed" in found[("consent", "opted_out")]["detail"]
    assert found[("ai_generated", "true")]["source"] == "c2pa"
    [validation] = [s for s in info.signals if s["field"] == "c2pa"]
    assert validation["value"] == "Valid", validation  # signed, by a root nobody trusts
    assert "c2pa_invalid" not in info.notes


def test_a_c2pa_manifest_that_fails_validation_is_noted_and_still_honoured(tmp_path):
    path = tamper(c2pa_signed_jpeg(tmp_path / "signed.jpg", source_type=None))
    info = inspect_file(str(path))
    assert info.ok, "the picture itself still decodes"
    assert "c2pa_invalid" in info.notes
    [validation] = [s for s in info.signals if s["field"] == "c2pa"]
    assert validation["value"] == "Invalid" and "dataHash.mismatch" in validation["detail"]
    assert ("consent", "opted_out") in {(s["field"], s["value"]) for s in info.signals}


def test_c2pa_allowing_training_is_not_an_opt_out(tmp_path):
    path = c2pa_signed_jpeg(tmp_path / "signed.jpg", training="allowed", source_type=None)
    assert ("consent", "opted_out") not in {(s["field"], s["value"])
                                           for s in inspect_file(str(path)).signals}


def test_malformed_xmp_is_a_note_and_the_image_loads(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg_with(picture(), xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF"))
    info = inspect_file(str(path))
    assert info.ok and "xmp_malformed" in info.notes and info.signals == []


def test_an_xml_bomb_in_xmp_is_refused_safely(tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><x>&lol2;</x>')
    path = tmp_path / "a.png"
    path.write_bytes(png_with(picture(), xmp=bomb))
    info = inspect_file(str(path))
    assert info.ok and "xmp_malformed" in info.notes


def test_a_png_chunk_cut_short_or_failing_its_checksum_gets_a_clear_reason(tmp_path):
    data = bytearray(png_with(picture(), text={"parameters": "a cat " * 40}))
    start = data.find(b"tEXt")
    cut = tmp_path / "cut.png"
    cut.write_bytes(bytes(data[: start + 60]))
    broken = tmp_path / "crc.png"
    data[start + 10] ^= 0xFF
    broken.write_bytes(bytes(data))
    assert inspect_file(str(cut)).reason == "truncated"
    info = inspect_file(str(broken))
    assert info.reason == "corrupt" and "tEXt" in info.detail
