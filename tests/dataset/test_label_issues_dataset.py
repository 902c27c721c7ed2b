"""wb.find_label_issues on a dataset: swapped labels are flagged and shown."""

from __future__ import annotations

import numpy as np

import workbench as wb


def test_swapped_style_labels_are_flagged_with_their_files(sample_workspace, tmp_path):
    ds, _ = sample_workspace
    ids, styles = ds.values(["id", "style"])
    rng = np.random.default_rng(0)
    swapped = sorted(rng.choice(len(ids), 8, replace=False))
    wrong = {ids[k]: ("strip-weave" if styles[k] != "strip-weave" else "ink-wash")
             for k in swapped}
    ds.select(list(wrong)).set_values("style", wrong, key_field="id")
    issues = wb.find_label_issues(ds, "style")
    flagged = set(issues.flagged()["id"])
    caught = flagged & set(wrong)
    print(f"flagged {len(flagged)}, of them swapped {len(caught)} of {len(wrong)}")
    assert len(caught) >= 6 and len(caught) / len(flagged) >= 0.6
    row = issues.flagged().iloc[0]
    assert row["filepath"].startswith("/") and row["suggested"] != row["given"]
    assert "labels to check" in issues.show().data
    html = wb.find_gaps(ds, by="style").to_html(tmp_path / "report.html").read_text()
    assert "Label issues in style" in html and "Quality (" in html
