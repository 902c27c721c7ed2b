"""The CLI contract (JSON on stdout, exit codes) and a side-effect-free `import workbench`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers.images import pattern, save


def test_import_starts_nothing():
    code = ("import sys, workbench; "
            "heavy = [m for m in ('fiftyone', 'torch', 'open_clip', 'umap', 'pandas', 'PIL') "
            "if m in sys.modules]; print(heavy)")
    env = {k: v for k, v in os.environ.items() if k != "FIFTYONE_DO_NOT_TRACK"}
    out = subprocess.run([sys.executable, "-c", code + "; import os; "
                          "print(os.environ.get('FIFTYONE_DO_NOT_TRACK'))"],
                         capture_output=True, text=True, env=env, check=True)
    heavy, track = out.stdout.split("\n")[:2]
    assert heavy == "[]", f"import workbench pulled in {heavy}"
    assert track == "None", "import must not change the environment"


def test_load_json_is_one_object_on_stdout(tmp_path, cli, dataset_name):
    save(pattern(1), tmp_path / "a.jpg")
    save(pattern(2), tmp_path / "b.jpg")
    proc = cli("load", str(tmp_path), "--name", dataset_name, "--json", check=True)
    payload = json.loads(proc.stdout)  # exactly one JSON document, nothing else
    for key in ("added", "updated", "unchanged", "skipped", "duplicates"):
        assert key in payload
    assert payload["added"] == 2 and payload["skipped"] == []
    assert "usable samples" in proc.stderr


def test_missing_source_is_a_usage_error(cli, tmp_path):
    proc = cli("load", str(tmp_path / "nowhere"), "--name", "x", "--json")
    assert proc.returncode == 2
    assert "source not found" in json.loads(proc.stdout)["error"]


def test_doctor_reports_versions_database_and_embedders(cli):
    proc = cli("doctor", "--json", check=True)
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["database"]["ok"] is True
    assert report["versions"]["fiftyone"].startswith("1.22")
    for key in ("python", "torch", "open_clip", "umap"):
        assert report["versions"][key]
    assert any(e["available"] for e in report["embedders"])


def test_doctor_fails_clearly_when_the_database_cannot_be_reached():
    env = dict(os.environ, FIFTYONE_DATABASE_URI="mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=1500")
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "doctor"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode != 0
    assert "DOES NOT ANSWER" in proc.stdout and "FIFTYONE_DATABASE_URI" in proc.stdout


def test_no_public_name_is_shadowed_by_a_submodule():
    # Importing workbench.<name> sets the attribute to the module, hiding an API function
    # of the same name (wb.export once returned the workbench.export package).
    import pkgutil

    import workbench

    submodules = {m.name for m in pkgutil.iter_modules(workbench.__path__)}
    assert not submodules & set(workbench.__all__)
