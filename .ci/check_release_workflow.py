"""Check the workflow that publishes lossnotes to PyPI (run by `make lint-workflows`).

actionlint checks the syntax and the expressions; this checks what the workflow is for: it runs
only for version tags, builds and checks the distributions with `make wheel-test` (a target the
Makefile has) in a job without publishing rights, and publishes them in a separate job that
needs the build, runs in the `pypi` environment and authenticates by trusted publishing
(`id-token: write`, pypa/gh-action-pypi-publish with no password or token).
"""

import subprocess
import sys
from pathlib import Path

import yaml
from check_workflow import main, uses  # this script's folder: the book workflow's checker


def check(path: Path) -> list[str]:
    wf = yaml.safe_load(path.read_text())
    problems = []
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as True
    if not isinstance(triggers, dict) or set(triggers) != {"push"}:
        problems.append(f"must run on push only (tags), not {triggers}")
    else:
        push = triggers["push"] or {}
        if not push.get("tags") or "branches" in push:
            problems.append("must run for pushed tags only")
    if (wf.get("permissions") or {}).get("id-token"):
        problems.append("id-token must be granted to the publishing job only, not the workflow")

    jobs = wf.get("jobs") or {}
    publish = [(n, j) for n, j in jobs.items()
               if any(uses(s, "pypa/gh-action-pypi-publish") for s in j.get("steps", []))]
    builds = [(n, j) for n, j in jobs.items() if (n, j) not in publish]
    runs = [line.strip() for _, j in builds for s in j.get("steps", [])
            for line in str(s.get("run", "")).splitlines()]
    if "make wheel-test" not in runs:
        problems.append("a build job must run `make wheel-test`")
    dry = subprocess.run(["make", "-n", "wheel-test"], capture_output=True, text=True)
    if dry.returncode != 0:
        problems.append(f"the Makefile has no target wheel-test: {dry.stderr.strip()}")
    for name, job in builds:
        if (job.get("permissions") or {}).get("id-token"):
            problems.append(f"job {name} builds and must not get id-token")

    if len(publish) != 1:
        problems.append(f"exactly one job must publish with pypa/gh-action-pypi-publish; "
                        f"found {[n for n, _ in publish]}")
    for name, job in publish:
        if (job.get("permissions") or {}).get("id-token") != "write":
            problems.append(f"job {name}: needs permissions id-token: write (trusted publishing)")
        env = job.get("environment")
        if (env.get("name") if isinstance(env, dict) else env) != "pypi":
            problems.append(f"job {name}: must run in the environment pypi")
        needs = job.get("needs")
        if not needs or not set([needs] if isinstance(needs, str) else needs) & set(
                n for n, _ in builds):
            problems.append(f"job {name}: must wait for the build job (needs:)")
        for step in job.get("steps", []):
            given = set(step.get("with") or {})
            if uses(step, "pypa/gh-action-pypi-publish") and given & {"password", "user"}:
                problems.append(f"job {name}: publishes with a token, not trusted publishing")
            if "run" in step or uses(step, "actions/checkout"):
                problems.append(f"job {name}: publishes the build's artifact only; it must not "
                                "check out or run code")
    return problems


if __name__ == "__main__":
    sys.exit(main(check, sys.argv[1:]))
