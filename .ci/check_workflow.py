"""Check the GitHub Actions workflow that publishes the book (run by `make lint-workflows`).

actionlint checks the syntax and the expressions; this checks what the workflow is for: it runs
the same commands as .ci/run (make test, then make book), every `make` target it names exists,
and it publishes _build/html to GitHub Pages with the permissions that needs.
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml


def uses(step: dict, action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


def check(path: Path) -> list[str]:
    wf = yaml.safe_load(path.read_text())
    problems = []
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as True
    if not isinstance(triggers, dict) or "push" not in triggers:
        problems.append("no push trigger")
    jobs = wf.get("jobs") or {}
    steps = [s for job in jobs.values() for s in job.get("steps", [])]

    runs = [line.strip() for s in steps for line in str(s.get("run", "")).splitlines()]
    makes = [line for line in runs if line.startswith("make ")]
    if not ("make test" in makes and "make book" in makes
            and makes.index("make test") < makes.index("make book")):
        problems.append(f"the workflow must run `make test` then `make book`; it runs {makes}")
    for line in makes:
        for target in line.split()[1:]:
            if "=" in target or target.startswith("-"):
                continue
            dry = subprocess.run(["make", "-n", target], capture_output=True, text=True)
            if re.search(r"No rule to make target", dry.stderr):
                problems.append(f"`{line}`: the Makefile has no target {target}")

    upload = [s for s in steps if uses(s, "actions/upload-pages-artifact")]
    if not upload or (upload[0].get("with") or {}).get("path") != "_build/html":
        problems.append("no actions/upload-pages-artifact step with path: _build/html")

    deploy = [(name, job) for name, job in jobs.items()
              if any(uses(s, "actions/deploy-pages") for s in job.get("steps", []))]
    if not deploy:
        problems.append("no job uses actions/deploy-pages")
    for name, job in deploy:
        perms = job.get("permissions") or wf.get("permissions") or {}
        if perms.get("pages") != "write" or perms.get("id-token") != "write":
            problems.append(f"job {name}: needs permissions pages: write and id-token: write")
        env = job.get("environment")
        if (env.get("name") if isinstance(env, dict) else env) != "github-pages":
            problems.append(f"job {name}: environment must be github-pages")
        if not job.get("needs"):
            problems.append(f"job {name}: must wait for the build (needs:)")
        if "pull_request" not in str(job.get("if", "")):
            problems.append(f"job {name}: must not publish from pull requests (if:)")
    return problems


def main(check, paths) -> int:
    """Check each workflow file and print its problems; 1 if any, else 0."""
    failed = 0
    for arg in paths:
        problems = check(Path(arg))
        for problem in problems:
            print(f"{arg}: {problem}")
        print(f"{arg}: {'FAILED' if problems else 'ok'}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(check, sys.argv[1:]))
