"""The guided notebooks: stored clean, equal to their py:percent pair, and runnable.

Each notebook is two files, ``NN_name.ipynb`` and ``NN_name.py`` (jupytext py:percent),
paired by ``notebooks/jupytext.toml`` (see ``notebooks/README.md``). The fast tests
check the stored files; the slow ones run every notebook top to bottom on sample_data
(in the isolated test database).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_config
from jupytext.paired_paths import paired_paths
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SOURCES = sorted(NOTEBOOK_DIR.glob("*.py"))
IDS = [p.name for p in NOTEBOOKS]
SYNC = ("bring the pair back in step with `.venv/bin/jupytext --sync notebooks/*.ipynb` "
        "(see notebooks/README.md)")
LOGIC = re.compile(r"^\s*(async\s+)?(def|class)\s", re.MULTILINE)
#: FiftyOne's notice about the bundled MongoDB 6: start-up noise no output may show.
STARTUP_NOTICE = "oldest supported major version"

#: Notebooks that work on what an earlier one saved in the dataset.
NEEDS = {"05_export_for_finetuning.ipynb": "04_select_balanced.ipynb"}
#: The dataset and export folder notebook 05 writes (relative to notebooks/).
DATASET = "palette-sample"
HF_EXPORT = NOTEBOOK_DIR / ".." / "out" / "nb-imagefolder"

_executed: set[str] = set()


def _code_cells(path: Path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


# -- fast: the stored files ------------------------------------------------------------

def test_notebooks_are_found():
    assert len(NOTEBOOKS) >= 5, f"expected the five guided notebooks in {NOTEBOOK_DIR}"


def test_every_notebook_is_paired_with_its_py():
    config = load_jupytext_config(str(NOTEBOOK_DIR))
    assert config is not None, f"{NOTEBOOK_DIR}/jupytext.toml is missing"
    for path in NOTEBOOKS:
        formats = config.default_formats(str(path))
        pairs = dict(paired_paths(str(path), "ipynb", formats))
        expected = str(path.with_suffix(".py"))
        assert pairs.get(expected) == {"extension": ".py", "format_name": "percent"}, (
            f"jupytext.toml must pair {path.name} with {Path(expected).name} (py:percent); "
            f"it gives {formats!r}")
    assert [p.stem for p in SOURCES] == [p.stem for p in NOTEBOOKS], (
        "each notebook is an .ipynb and a .py of the same name; " + SYNC)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_without_outputs(path):
    stored = [(i, bool(c.outputs), c.execution_count) for i, c in enumerate(_code_cells(path))
              if c.outputs or c.execution_count is not None]
    assert not stored, (
        f"{path.name}: cells (index, has outputs, execution count) {stored} were saved after "
        "running; clear them with `.venv/bin/jupyter nbconvert --clear-output --inplace "
        f"notebooks/{path.name}`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_cells_hold_no_logic(path):
    offending = [c.source for c in _code_cells(path) if LOGIC.search(c.source)]
    assert not offending, (f"{path.name}: notebook cells call the package; they hold no "
                           f"logic (move the def/class into workbench/): {offending}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ipynb_and_py_agree(path):
    source = path.with_suffix(".py")
    assert source.exists(), f"{source.name} is missing; {SYNC}"
    text = jupytext.read(source, fmt="py:percent")
    nb = nbformat.read(path, as_version=4)
    assert _cells(text) == _cells(nb), f"{path.name} and {source.name} differ; {SYNC}"


# -- slow: running them ----------------------------------------------------------------

def _execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    _executed.add(path.name)


def _startup_noise(nb) -> list[str]:
    """The first line of each code cell whose outputs hold FiftyOne's MongoDB notice."""
    return [c.source.splitlines()[0] if c.source else "" for c in nb.cells
            if c.cell_type == "code" and any(STARTUP_NOTICE in json.dumps(o)
                                             for o in c.get("outputs", []))]


def _atlas_pictures(nb) -> int:
    """How many ``wb.atlas(...).show()`` cells left a PNG in the outputs (the static map)."""
    return sum(1 for c in nb.cells if c.cell_type == "code" and "wb.atlas(" in c.source
               for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


def _build_docs():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_docs", NOTEBOOK_DIR.parent / "scripts" / "build_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path, tmp_path):
    needed = NEEDS.get(path.name)
    if needed and needed not in _executed:  # run on its own (-k): make its input first
        _execute(NOTEBOOK_DIR / needed)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class)\s", cell.source, re.M), \
                "notebook cells call the package; they hold no logic"
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    noisy = _startup_noise(nb)
    assert not noisy, f"FiftyOne's MongoDB start-up notice reached the outputs of {noisy}"
    if "map_widget(" in "".join(c.source for c in nb.cells if c.cell_type == "code"):
        assert _atlas_pictures(nb), "a notebook showing the interactive map shows it as a picture"
    _executed.add(path.name)
    # `make docs` renders the executed notebook as one page, its pictures inline.
    page = _build_docs().render(nb, tmp_path / f"{path.stem}.html", path.stem).read_text()
    pictures = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if "image/png" in o.get("data", {}))
    assert page.count("data:image/png;base64,") >= pictures


@pytest.mark.slow
def test_export_notebook_exports_the_selection_notebook_04_saved():
    """05 exports 04's selection with its hand edit; it does not select again."""
    import workbench as wb

    for name in ("04_select_balanced.ipynb", "05_export_for_finetuning.ipynb"):
        if name not in _executed:
            _execute(NOTEBOOK_DIR / name)
    sel = wb.load_selection(wb.get_dataset(DATASET), "selected")
    removed = [i for edit in sel.params.get("edits", []) if edit["action"] == "remove"
               for i in edit["ids"]]
    assert removed, "notebook 04's hand edit is missing from the saved selection"
    with open(HF_EXPORT / "train" / "metadata.jsonl", encoding="utf-8") as fh:
        exported = [json.loads(line)["sample_id"] for line in fh if line.strip()]
    assert sorted(exported) == sorted(sel.ids)
    assert not set(removed) & set(exported)


# -- any folder: papermill parameters, and bad input as one sentence --------------------

def _papermill(tmp_path: Path, **parameters):
    """Run the quickstart through papermill; returns (executed notebook, error or None)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out = tmp_path / "quickstart-run.ipynb"
    parameters = {"OUT": str(tmp_path / "out"), "MODEL": "bundled", **parameters}
    try:
        pm.execute_notebook(str(NOTEBOOK_DIR / "00_quickstart.ipynb"), str(out),
                            parameters=parameters, cwd=str(NOTEBOOK_DIR), kernel_name="python3",
                            progress_bar=False)
        error = None
    except PapermillExecutionError as exc:
        error = exc
    return nbformat.read(out, as_version=4), error


@pytest.mark.slow
@pytest.mark.realdata
def test_quickstart_runs_through_papermill_on_the_real_corpus(real_corpus, tmp_path):
    nb, error = _papermill(tmp_path, SOURCE=str(real_corpus), DATASET="papermill-stamps",
                          BY="category", LABELS_FROM_FOLDERS="category",
                          LICENSE="GPL-2.0-or-later", ALLOW_LICENSES=["GPL-2.0-or-later"])
    assert error is None, error
    assert _atlas_pictures(nb) == 1, "the map is in the saved notebook as a picture"
    card = (tmp_path / "out" / "export-imagefolder" / "README.md").read_text(encoding="utf-8")
    assert "GPL-2.0-or-later" in card and (tmp_path / "out" / "coverage.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("case", ["missing source", "empty folder", "unknown field"])
def test_bad_input_in_a_notebook_is_one_clear_sentence(case, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    parameters, needle = {
        "missing source": ({"SOURCE": str(tmp_path / "nowhere")}, "source not found"),
        "empty folder": ({"SOURCE": str(empty)}, "no image to load"),
        "unknown field": ({"BY": "colour", "DATASET": "papermill-bad-by"}, "does not exist"),
    }[case]
    nb, error = _papermill(tmp_path, **parameters)
    assert error is not None, "the run must stop at the bad input"
    [output] = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                if o.get("output_type") == "error"]
    assert len(output["traceback"]) == 1, output["traceback"]
    assert not _startup_noise(nb), "FiftyOne's MongoDB start-up notice reached the outputs"
    assert needle in output["traceback"][0] and "Traceback" not in output["traceback"][0]
