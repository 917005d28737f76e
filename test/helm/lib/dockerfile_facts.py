"""Assert the Dockerfile's contract (the image cannot be built here, so its text is checked).

Usage: dockerfile_facts.py DOCKERFILE DOCKERIGNORE

- every COPY from the build context names a path that the allow-list .dockerignore lets in ("*" first,
  then "!path" lines), and the allow-list lets in nothing the Dockerfile does not copy;
- the last stage (the runtime) installs production dependencies only, runs as a numeric non-root user,
  exposes 8080, has a HEALTHCHECK on /healthz, an init as PID 1 in ENTRYPOINT and CMD ["run"].
Prints one line per failed check; exits 1 when any fails.
"""

import json
import re
import sys


def instructions(text):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(x for x in text.splitlines() if not x.lstrip().startswith("#")))
    return [
        (x.split(None, 1)[0].upper(), x.split(None, 1)[1].strip()) for x in text.splitlines() if x.strip()
    ]


def main(dockerfile, dockerignore):
    steps = instructions(open(dockerfile).read())
    ignore = [x.strip() for x in open(dockerignore) if x.strip() and not x.startswith("#")]
    allowed = {x[1:].rstrip("/") for x in ignore if x.startswith("!")}
    copied = set()
    for op, arg in steps:
        if op == "COPY" and "--from=" not in arg:
            copied.update(s.rstrip("/") for s in arg.split()[:-1] if not s.startswith("--"))
    stages = [i for i, (op, _) in enumerate(steps) if op == "FROM"]
    runtime = steps[stages[-1] :]
    last = {op: arg for op, arg in runtime}
    user = last.get("USER", "").split(":")[0]
    npm_in_runtime = [arg for op, arg in runtime if op == "RUN" and "npm " in arg]
    checks = [
        (ignore[:1] == ["*"], ".dockerignore starts with * (an allow-list)"),
        (copied <= allowed, f".dockerignore lets in every COPY source (missing: {sorted(copied - allowed)})"),
        (allowed <= copied, f".dockerignore lets in nothing unused (extra: {sorted(allowed - copied)})"),
        (len(stages) >= 2, "multi-stage build"),
        (not npm_in_runtime, "runtime stage runs no npm (dependencies come from the production-only stage)"),
        (
            any(op == "RUN" and "npm ci --omit=dev" in arg for op, arg in steps),
            "production deps: npm ci --omit=dev",
        ),
        (user.isdigit() and int(user) > 0, f"runtime USER is numeric and not root ({user!r})"),
        (last.get("EXPOSE") == "8080", "EXPOSE 8080"),
        ("/healthz" in last.get("HEALTHCHECK", ""), "HEALTHCHECK on /healthz"),
        (re.search(r"tini|dumb-init", last.get("ENTRYPOINT", "")) is not None, "an init is PID 1"),
        (json.loads(last.get("CMD", "null")) == ["run"], 'CMD ["run"]'),
    ]
    for ok, what in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} Dockerfile: {what}")
    return 0 if all(ok for ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
