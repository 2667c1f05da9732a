"""The package as readers install it: declared ranges, one repository URL, the Colab cell.

The built wheel itself is checked in a fresh environment by ``make wheel-test``
(tests/packaging/check_wheel.py), the floors by ``make oldest-test`` and the Colab path by
``make colab-test``; these are the checks that need no new environment.
"""

import importlib.util
import pathlib
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from lossnotes._compare import _frameworks

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def _load(relative):
    spec = importlib.util.spec_from_file_location(pathlib.Path(relative).stem, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


install_cell = _load("tests/colab/install_cell.py")
oldest = _load("tests/packaging/oldest.py")


def test_requirements_are_ranges_not_pins():
    requirements = [*PYPROJECT["dependencies"],
                    *(r for extra in PYPROJECT["optional-dependencies"].values() for r in extra)]
    assert requirements
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+>=[0-9][0-9.]*", requirement), requirement


def test_framework_floors_are_compares_oldest():
    floors = oldest.floors()
    assert {k: floors[k] for k in _frameworks.OLDEST} == _frameworks.OLDEST
    assert floors["numpy"] == "1.26" and PYPROJECT["requires-python"] == ">=3.11"


def test_version_is_exposed_and_read_by_the_build():
    import lossnotes

    assert re.fullmatch(r"\d+\.\d+\.\d+", lossnotes.__version__)
    assert "version" in PYPROJECT["dynamic"]
    assert (ROOT / "lossnotes" / "py.typed").is_file()


def test_one_repository_url():
    url = CONFIG["repository"]["url"]
    assert PYPROJECT["urls"]["Source"] == url
    assert PYPROJECT["urls"]["Issues"] == f"{url}/issues"
    assert install_cell.repository_url() == url


def test_colab_launch_button():
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chapter_starts_with_the_install_cell(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    codes = [c for c in nb.cells if c.cell_type == "code"]
    expected = install_cell.cell(CONFIG["repository"]["url"])
    first = codes[0]
    assert first.source == expected.source, (
        f"{path.name}: run python tests/colab/install_cell.py book/*.ipynb")
    assert first.metadata.get("tags") == ["remove-cell"]  # not shown in the rendered book
    assert first.execution_count == 0 and first.outputs == []  # nbval: it prints nothing
    assert nb.cells.index(first) == 1 and nb.cells[0].source.startswith("# ")


def _run_cell(monkeypatch, returncodes):
    """Run the install cell's code as if lossnotes were missing; the pip calls it makes."""
    calls = []
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "lossnotes" else real(name, *args)

    def run(command, check=False):
        calls.append(command)
        code = returncodes[len(calls) - 1]
        if check and code:
            raise subprocess.CalledProcessError(code, command)
        return subprocess.CompletedProcess(command, code)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "run", run)
    exec(install_cell.source("https://example.org/o/r"), {})
    return calls


def test_install_cell_installs_from_pypi(monkeypatch):
    calls = _run_cell(monkeypatch, [0])
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", "lossnotes"]]


def test_install_cell_falls_back_to_the_repository(monkeypatch):
    calls = _run_cell(monkeypatch, [1, 0])
    assert calls[1] == [sys.executable, "-m", "pip", "install", "-q", "git+https://example.org/o/r"]
    with pytest.raises(subprocess.CalledProcessError):
        _run_cell(monkeypatch, [1, 1])


def test_install_cell_does_nothing_where_lossnotes_is_installed():
    done = subprocess.run([sys.executable, "-c", install_cell.source("https://invalid.test/x")],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
