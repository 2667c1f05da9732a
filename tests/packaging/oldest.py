"""The requirements of ``make oldest-test``: every declared floor, installed exactly.

pyproject.toml declares ranges (``numpy>=1.26``, ``tensorflow>=2.16.1``, ...). This prints one
``name==floor`` line for each dependency and each requirement of the ``frameworks`` extra, with
``tensorflow`` taken as its CPU build ``tensorflow-cpu`` (the same code without CUDA), plus the
test tools at the versions ``requirements.txt`` pins. ``--torch VERSION`` replaces torch's floor:
PyPI serves torch for Linux x86-64 only as CUDA builds (2.3 GB of downloads for 2.0.1), and
PyTorch's CPU index may be out of reach; README "Which versions" says what was run where.

Importing this module does nothing (pytest imports it for doctests); run it as a script:
``python tests/packaging/oldest.py [--torch 2.13.0]``.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: The CPU build of each framework, where the registry has one under another name.
CPU_BUILD = {"tensorflow": "tensorflow-cpu"}
TEST_TOOLS = ("pytest", "hypothesis")


def floors(pyproject: pathlib.Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Name -> lower bound of every dependency and of the ``frameworks`` extra.

    >>> floors()["tensorflow"], floors()["numpy"]
    ('2.16.1', '1.26')
    """
    project = tomllib.loads(pyproject.read_text())["project"]
    out = {}
    for requirement in [*project["dependencies"],
                        *project["optional-dependencies"]["frameworks"]]:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][^,;\s]*)", requirement.strip())
        if not match:
            raise ValueError(f"{requirement!r} has no plain lower bound (name>=version)")
        out[match.group(1).lower()] = match.group(2)
    return out


def pins(requirements: pathlib.Path = ROOT / "requirements.txt") -> dict[str, str]:
    found = {}
    for line in requirements.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def requirements(torch: str | None = None) -> list[str]:
    """The requirement lines of the oldest environment.

    >>> [r for r in requirements(torch="2.13.0") if r.startswith(("tensorflow", "torch"))]
    ['tensorflow-cpu==2.16.1', 'torch==2.13.0']
    """
    versions = floors()
    if torch is not None:
        versions["torch"] = torch
    lines = [f"{CPU_BUILD.get(name, name)}=={version}" for name, version in versions.items()]
    tools = pins()
    return lines + [f"{tool}=={tools[tool]}" for tool in TEST_TOOLS]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torch", help="install this torch instead of the declared floor")
    args = parser.parse_args(argv)
    print("\n".join(requirements(args.torch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
