"""Check the built distributions and the wheel as installed in a fresh environment.

``make wheel-test`` builds the wheel and the sdist into ``_build/dist`` (``python -m build``),
runs ``twine check --strict`` on them, installs the wheel with its declared dependencies into a
new virtual environment ``_build/wheel-venv`` and runs this script there, from a folder outside
the checkout, so that only the installed package can be imported. It checks

- the archives: the wheel holds ``lossnotes/`` (``py.typed`` included) and its ``dist-info``
  only; the sdist holds the package, ``pyproject.toml`` and ``README.md``, no book, tests, CI or
  build output;
- the metadata: the dependencies and the ``frameworks`` extra are ranges, not pins;
- the installed package: imported from this environment's site-packages, ``__version__`` equal
  to the installed metadata's version and to the wheel's file name; ``import lossnotes`` loads
  NumPy only; ``lossnotes.exercises`` and ``lossnotes.accuracy`` import and run their own
  documented examples (doctests); ``py.typed`` is installed beside the package;
- ``python -m lossnotes`` without TensorFlow and torch: it names the versions it found, says how
  to install the missing frameworks and exits with status 3.

Importing this module does nothing (pytest imports it for doctests); run it as a script:
``python tests/packaging/check_wheel.py _build/dist``.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.metadata
import pathlib
import re
import subprocess
import sys
import tarfile
import zipfile

FORBIDDEN = ("book/", "tests/", "binder/", ".github/", ".ci/", "_build/", "benchmarks/",
             "node_modules/", ".venv/", "_ext/")


def check_archives(dist: pathlib.Path) -> tuple[list[str], str]:
    """Problems with the wheel and sdist in ``dist``, and the wheel's version."""
    problems = []
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [f"expected one wheel and one sdist in {dist}, found {wheels + sdists}"], ""
    version = wheels[0].name.split("-")[1]
    names = zipfile.ZipFile(wheels[0]).namelist()
    allowed = ("lossnotes/", f"lossnotes-{version}.dist-info/")
    problems += [f"wheel holds {n}" for n in names if not n.startswith(allowed)]
    if "lossnotes/py.typed" not in names:
        problems.append("wheel lacks lossnotes/py.typed")
    print(f"wheel {wheels[0].name}: {len(names)} files, all under {' or '.join(allowed)}")

    with tarfile.open(sdists[0]) as tar:
        members = [m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name]
    for needed in ("pyproject.toml", "README.md", "lossnotes/__init__.py", "lossnotes/py.typed"):
        if needed not in members:
            problems.append(f"sdist lacks {needed}")
    problems += [f"sdist holds {m}" for m in members if m.startswith(FORBIDDEN)]
    print(f"sdist {sdists[0].name}: {len(members)} files")
    return problems, version


def check_metadata() -> list[str]:
    """Requirements are ranges: no ``==`` and no ``~=`` in what pip would resolve."""
    requires = importlib.metadata.requires("lossnotes") or []
    problems = [f"pinned requirement: {r}" for r in requires
                if re.search(r"(==|~=)", r.split(";")[0])]
    names = {re.match(r"[A-Za-z0-9_.\-]+", r).group(0).lower(): r for r in requires}
    for needed in ("numpy", "mpmath", "tensorflow", "keras", "torch"):
        if needed not in names or ">=" not in names[needed]:
            problems.append(f"no lower bound for {needed} in {requires}")
    print("requires:", "; ".join(requires))
    return problems


def check_installed(version: str) -> list[str]:
    problems = []
    before = set(sys.modules)
    import lossnotes as ln

    site = pathlib.Path(sys.prefix).resolve()
    where = pathlib.Path(ln.__file__).resolve()
    if site not in where.parents:
        problems.append(f"lossnotes imported from {where}, not from this environment {site}")
    meta = importlib.metadata.version("lossnotes")
    if not (ln.__version__ == meta == version):
        problems.append(f"versions differ: __version__ {ln.__version__}, metadata {meta}, "
                        f"wheel {version}")
    loaded = {m.split(".")[0] for m in set(sys.modules) - before}
    extra = loaded - {"lossnotes", "numpy"} - set(sys.stdlib_module_names)
    if extra:
        problems.append(f"import lossnotes also imported {sorted(extra)}")
    if not (where.parent / "py.typed").is_file():
        problems.append("py.typed is not installed beside the package")

    for name in ("lossnotes.exercises", "lossnotes.accuracy"):
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        print(f"{name}: {result.attempted} documented examples, {result.failed} failed")
        if result.failed or not result.attempted:
            problems.append(f"{name}: {result.failed} of {result.attempted} examples failed")
    print(f"lossnotes {ln.__version__} from {where.parent}")
    return problems


def check_main_without_frameworks() -> list[str]:
    done = subprocess.run([sys.executable, "-m", "lossnotes"], capture_output=True, text=True,
                          timeout=300)
    out = done.stdout
    problems = []
    if done.returncode != 3:
        problems.append(f"python -m lossnotes exited {done.returncode}, not 3:\n{out}"
                        f"{done.stderr}")
    first = out.splitlines()[0] if out else ""
    if not re.match(r"lossnotes \S+ on Python \S+ found: NumPy \S+, TensorFlow \(not installed\)",
                    first):
        problems.append(f"python -m lossnotes does not start with the versions: {first!r}")
    for hint in ("pip install 'tensorflow-cpu>=", "pip install torch --index-url"):
        if hint not in out:
            problems.append(f"python -m lossnotes does not say {hint!r}:\n{out}")
    print(f"python -m lossnotes without frameworks: exit {done.returncode}; {first}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/packaging/check_wheel.py DIST_FOLDER", file=sys.stderr)
        return 2
    problems, version = check_archives(pathlib.Path(argv[0]))
    if version:
        problems += check_metadata() + check_installed(version)
        problems += check_main_without_frameworks()
    for problem in problems:
        print("FAIL:", problem)
    print(f"wheel-test: {'FAILED' if problems else 'ok'} ({len(problems)} problems)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
