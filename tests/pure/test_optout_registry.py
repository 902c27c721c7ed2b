"""The opt-out registry in CSV (and the older text format): kinds, dates, bad rows."""

from __future__ import annotations

import imagehash
import pandas as pd
import pytest

from helpers.images import pattern, save
from workbench.core.pixels.images import open_rgb
from workbench.core.intake.inspect import INSPECT_SIZE
from workbench.core.rights.optout import OptOutError, mark_opted_out, read_optout


def _csv(tmp_path, body: str):
    path = tmp_path / "optout.csv"
    path.write_text("kind,value,date,note\n" + body, encoding="utf-8")
    return path


def test_every_kind_matches_what_it_names(tmp_path):
    reg = read_optout(_csv(tmp_path, (
        "creator,creator-07,2026-11-02,asked by email\n"
        "source_domain,example-museum.org,2026-11-05,\n"
        "url_prefix,https://example.org/gallery/ink/,2026-11-05,\n"
        "sha256," + "ab" * 32 + ",2026-11-06,\n"
        "phash,c3a1f0e0d8b4a2c1,2026-11-07,resized copies too\n")))
    assert reg.warnings == () and len(reg) == 5
    assert reg.match(creator="creator-07") == "creator"
    assert reg.match(source="https://www.example-museum.org/objects/12.jpg") == "source_domain"
    assert reg.match(source="https://collections.example-museum.org/x") == "source_domain"
    assert reg.match(source="https://example-museum.org.evil.test/x") is None
    assert reg.match(source="https://example.org/gallery/ink/plate-3.png") == "url_prefix"
    assert reg.match(source="https://example.org/gallery/weave/plate-3.png") is None
    assert reg.match(sha256="AB" * 32) == "sha256"
    assert reg.match(phash="c3a1f0e0d8b4a2c3") == "phash"  # 1 bit away
    assert reg.match(phash="3c5e0f1f274b5d3e") is None
    assert reg.entries[0].date == "2026-11-02" and reg.entries[0].note == "asked by email"


def test_bad_rows_are_reported_with_their_row_number_and_the_rest_apply(tmp_path):
    reg = read_optout(_csv(tmp_path, (
        "creator,creator-07,2026-11-02,\n"
        "colour,blue,2026-11-02,\n"
        "sha256,not-a-hash,,\n"
        "source_domain,nodots,,\n"
        "creator,creator-08,02/11/2026,\n"
        "creator,creator-09,,\n")))
    assert [e.value for e in reg.entries] == ["creator-07", "creator-09"]
    assert len(reg.warnings) == 4
    assert "row 3: unknown kind 'colour'" in reg.warnings[0]
    assert "row 4:" in reg.warnings[1] and "sha256" in reg.warnings[1]
    assert "row 6:" in reg.warnings[3] and "YYYY-MM-DD" in reg.warnings[3]


def test_a_csv_without_kind_and_value_columns_is_refused(tmp_path):
    path = tmp_path / "optout.csv"
    path.write_text("who,when\ncreator-07,2026\n")
    with pytest.raises(OptOutError, match="kind,value"):
        read_optout(path)


def test_the_text_format_still_reads(tmp_path):
    path = tmp_path / "optout.txt"
    path.write_text("creator:creator-07\n# a comment\n" + "cd" * 32 + "\ncreator-12\n"
                    "path:images/a.jpg\n")
    reg = read_optout(path)
    assert reg.counts() == {"creator": 2, "sha256": 1, "path": 1}
    assert reg.match(filepath=str(tmp_path / "images" / "a.jpg")) == "path"


def test_a_phash_entry_catches_resized_and_reencoded_copies(tmp_path):
    original = save(pattern(3, (400, 300)), tmp_path / "original.png")
    small = pattern(3, (400, 300)).resize((200, 150))
    copies = [save(small, tmp_path / "half.png"), save(pattern(3, (400, 300)),
                                                       tmp_path / "q70.jpg", quality=70)]

    def phash(path) -> str:
        return str(imagehash.phash(open_rgb(path, draft_size=INSPECT_SIZE).image))

    reg = read_optout(_csv(tmp_path, f"phash,{phash(original)},2026-11-07,\n"))
    assert all(reg.match(phash=phash(c)) == "phash" for c in copies)
    other = save(pattern(40, (400, 300)), tmp_path / "other.png")
    assert reg.match(phash=phash(other)) is None


def test_mark_opted_out_counts_only_new_matches():
    from workbench.core.rights.optout import Entry, OptOutRegistry

    reg = OptOutRegistry("mem", (Entry("creator", "creator-07"),
                                 Entry("source_domain", "example.org")))
    df = pd.DataFrame({"creator": ["creator-07", "creator-07", "creator-02", None],
                       "source": [None, None, "https://example.org/a", "https://other.test"],
                       "consent": ["granted", "opted_out", "granted", "granted"]})
    out, matched = mark_opted_out(df, reg)
    assert list(out["consent"]) == ["opted_out", "opted_out", "opted_out", "granted"]
    assert matched == {"creator": 1, "source_domain": 1}
    assert list(df["consent"]) == ["granted", "opted_out", "granted", "granted"], "a copy"
