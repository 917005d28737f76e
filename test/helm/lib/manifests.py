"""Validate rendered chart manifests offline and assert facts about them.

Usage: manifests.py --kube-version 1.31.0 --crd-schemas DIR --notes-dir DIR --dashboard FILE \
       NAME=RENDERED.yaml ...

Every document is validated against the strict Kubernetes JSON schema of that version shipped by
kubernetes-validate; custom resources (ServiceMonitor) against DIR/<kind>-<group>-<version>.json. A kind
with no schema is an error, not a warning. Then the facts in EXPECT are asserted for each NAME (the value
set's file name without .yaml), and the rendered NOTES.txt in --notes-dir/NAME.notes.yaml is checked.
Prints each failed check and a count; exits 1 when any fails.
"""

import argparse
import json
import os
import re
import sys

import jsonschema
import yaml
from kubernetes_validate import utils as kv

SECRET_ROOT = "/etc/intercom-cdc/secrets/"
# Environment variables that would carry a secret value; the chart must only ever set their *_FILE twins.
SECRET_VALUE_ENV = {
    "INTERCOM_TOKEN",
    "INTERCOM_OAUTH_CLIENT_SECRET",
    "KAFKA_SASL_PASSWORD",
    "SCHEMA_REGISTRY_PASSWORD",
}
# The metrics contract (DESIGN.md, Operations), without the histogram's _bucket/_sum/_count suffixes.
METRICS = {
    "intercom_cdc_events_total",
    "intercom_cdc_api_requests_total",
    "intercom_cdc_api_rate_limited_total",
    "intercom_cdc_api_rate_limit_remaining",
    "intercom_cdc_stream_lag_seconds",
    "intercom_cdc_poll_duration_seconds",
    "intercom_cdc_transactions_total",
    "intercom_cdc_dlq_total",
    "intercom_cdc_state_objects",
}
KINDS = [
    "Deployment",
    "Service",
    "ServiceAccount",
    "ServiceMonitor",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ConfigMap",
]


def counts(deployment, service, monitor, pdb, netpol, dashboard):
    return dict(zip(KINDS, [deployment, service, 1, monitor, pdb, netpol, dashboard], strict=True))


# Per value set: how many objects of each kind, and per workspace label the environment (None: absent)
# and the Secrets mounted.
EXPECT = {
    "minimal": {
        "counts": counts(1, 1, 0, 0, 0, 0),
        "workspaces": {
            "default": {
                "env": {
                    "CONNECTOR_NAME": "rel-intercom-cdc",
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/token",
                    "KAFKA_BROKERS": "kafka-0.kafka:9092",
                    "KAFKA_SSL": "false",
                    "KAFKA_SASL_MECHANISM": "none",
                    "KAFKA_SASL_USERNAME": None,
                    "TOPIC_PREFIX": "intercom",
                    "STREAMS": None,
                    "INCLUDE_RAW": None,
                    "HTTP_PORT": "8080",
                },
                "secrets": {"intercom-token"},
            }
        },
    },
    "full": {
        "counts": counts(1, 1, 1, 1, 1, 1),
        "workspaces": {
            "default": {
                "env": {
                    "CONNECTOR_NAME": "acme-cdc",
                    "WORKSPACE_ID": "abc123de",
                    "INTERCOM_REGION": "eu",
                    "INTERCOM_MAX_REQUESTS_PER_MINUTE": "8000",
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/access-token",
                    "KAFKA_BROKERS": ",".join(f"b-{i}.kafka.example.com:9096" for i in (1, 2, 3)),
                    "KAFKA_SSL": "true",
                    "KAFKA_SSL_CA_FILE": SECRET_ROOT + "kafka-ca/ca.crt",
                    "KAFKA_SSL_CERT_FILE": SECRET_ROOT + "kafka-cert/tls.crt",
                    "KAFKA_SSL_KEY_FILE": SECRET_ROOT + "kafka-key/tls.key",
                    "KAFKA_SASL_MECHANISM": "scram-sha-512",
                    "KAFKA_SASL_USERNAME": "intercom-cdc",
                    "KAFKA_SASL_PASSWORD_FILE": SECRET_ROOT + "kafka-sasl-password/password",
                    "TOPIC_PREFIX": "crm.intercom",
                    "KAFKA_TOPIC_PARTITIONS": "6",
                    "KAFKA_REPLICATION_FACTOR": "3",
                    "SCHEMA_REGISTRY_URL": "https://schema-registry.example.com",
                    "SCHEMA_REGISTRY_USERNAME": "intercom-cdc",
                    "SCHEMA_REGISTRY_PASSWORD_FILE": SECRET_ROOT + "registry-password/password",
                    "SCHEMA_REGISTRY_CA_FILE": SECRET_ROOT + "registry-ca/ca.crt",
                    "STREAMS": "contacts,conversations,conversation_parts,admins,articles,tickets",
                    "POLL_INTERVAL_MS": "10000",
                    "RECONCILE_INTERVAL_MS": "3600000",
                    "INCLUDE_RAW": "false",
                    "ERRORS_TOLERANCE": "none",
                    "LOG_LEVEL": "debug",
                    "NODE_OPTIONS": "--max-old-space-size=512",
                },
                "secrets": {
                    "intercom-credentials",
                    "kafka-ca",
                    "kafka-client-tls",
                    "kafka-sasl",
                    "schema-registry-auth",
                    "registry-ca",
                },
            }
        },
    },
    "multi-workspace": {
        "counts": counts(3, 3, 0, 0, 0, 0),
        "workspaces": {
            "acme": {
                "env": {
                    "CONNECTOR_NAME": "rel-intercom-cdc-acme",
                    "WORKSPACE_ID": "acme01",
                    "INTERCOM_REGION": "us",
                    "TOPIC_PREFIX": "intercom.acme",
                    "INCLUDE_RAW": "true",
                    "POLL_INTERVAL_MS": "30000",
                    "STREAMS": None,
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/token",
                },
                "secrets": {"intercom-acme"},
            },
            "globex": {
                "env": {
                    "CONNECTOR_NAME": "globex-cdc",
                    "INTERCOM_REGION": "eu",
                    "TOPIC_PREFIX": "intercom.globex",
                    "INCLUDE_RAW": "false",
                    "STREAMS": "contacts,conversations",
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/access-token",
                },
                "secrets": {"intercom-globex"},
                "memory_limit": "1536Mi",
            },
            "initech": {
                "env": {
                    "CONNECTOR_NAME": "rel-intercom-cdc-initech",
                    "INTERCOM_REGION": "au",
                    "TOPIC_PREFIX": "initech",
                    "POLL_INTERVAL_MS": "5000",
                    "INTERCOM_OAUTH_CLIENT_ID": "initech-app",
                    "INTERCOM_OAUTH_CLIENT_SECRET_FILE": SECRET_ROOT + "intercom-oauth/client-secret",
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/token.json",
                },
                "secrets": {"intercom-initech-oauth", "intercom-initech-token"},
            },
        },
    },
}


class Checks:
    """Collects failures; every check prints one line."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"  FAIL {what}")
        return ok


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def validate_schema(doc, kube_version, crd_dir):
    """Returns an error message, or None when the document is valid."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
    crd_schema = os.path.join(crd_dir, f"{doc['kind'].lower()}-{group_version}.json")
    try:
        if os.path.exists(crd_schema):
            with open(crd_schema) as f:
                jsonschema.Draft7Validator(json.load(f)).validate(doc)
        else:
            kv.validate(doc, kube_version, strict=True)
    except jsonschema.ValidationError as e:
        return f"{'.'.join(str(p) for p in e.path)}: {e.message}"
    except kv.SchemaNotFoundError as e:
        return e.message
    return None


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def check_deployment(c, dep, where):
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    ctr = pod["containers"][0]
    sc = ctr.get("securityContext", {})
    c.check(spec.get("replicas") == 1, f"{where}: replicas is 1")
    c.check(spec.get("strategy", {}).get("type") == "Recreate", f"{where}: strategy Recreate")
    c.check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem true")
    c.check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation false")
    c.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities drop ALL")
    c.check(pod["securityContext"].get("runAsNonRoot") is True, f"{where}: runAsNonRoot")
    c.check(
        pod["securityContext"].get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp"
    )
    c.check(ctr["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{where}: liveness /healthz")
    c.check(ctr["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{where}: readiness /readyz")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m["name"] for m in ctr.get("volumeMounts", [])}
    c.check("emptyDir" in volumes.get(mounts.get("/tmp"), {}), f"{where}: emptyDir on /tmp")
    env = env_of(ctr)
    c.check(
        not SECRET_VALUE_ENV & env.keys(),
        f"{where}: no secret value in env ({SECRET_VALUE_ENV & env.keys()})",
    )
    for name, path in env.items():
        if name.endswith("_FILE") and path and path.startswith(SECRET_ROOT):
            directory, key = os.path.split(path)
            secret = volumes.get(mounts.get(directory), {}).get("secret", {})
            c.check(
                any(i["key"] == key for i in secret.get("items", [])),
                f"{where}: {name} is a mounted secret key",
            )
    return env, {v["secret"]["secretName"] for v in volumes.values() if "secret" in v}


def check_set(c, name, docs, expect):
    by_kind = {k: [d for d in docs if d["kind"] == k] for k in {d["kind"] for d in docs}}
    actual = {k: len(by_kind.get(k, [])) for k in KINDS}
    c.check(actual == expect["counts"] and set(by_kind) <= set(KINDS), f"{name}: objects {actual}")
    c.check(not by_kind.get("Secret"), f"{name}: no Secret rendered")
    deployments = {
        d["metadata"]["labels"]["intercom-cdc/workspace"]: d for d in by_kind.get("Deployment", [])
    }
    c.check(set(deployments) == set(expect["workspaces"]), f"{name}: workspaces {sorted(deployments)}")
    for ws, want in expect["workspaces"].items():
        if ws not in deployments:
            continue
        where = f"{name}/{ws}"
        env, secrets = check_deployment(c, deployments[ws], where)
        for var, value in want["env"].items():
            c.check(env.get(var) == value, f"{where}: {var}={env.get(var)!r}, expected {value!r}")
        c.check(secrets == want["secrets"], f"{where}: mounted secrets {sorted(secrets)}")
        if "memory_limit" in want:
            limits = deployments[ws]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
            c.check(
                limits.get("memory") == want["memory_limit"], f"{where}: memory limit {limits.get('memory')}"
            )
    names = [d["metadata"]["name"] for d in by_kind.get("Deployment", [])]
    c.check(len(set(names)) == len(names), f"{name}: distinct Deployment names")
    for monitor in by_kind.get("ServiceMonitor", []):
        selector = monitor["spec"]["selector"]["matchLabels"]
        selected = [
            s for s in by_kind.get("Service", []) if selector.items() <= s["metadata"]["labels"].items()
        ]
        c.check(len(selected) == len(by_kind["Service"]) > 0, f"{name}: ServiceMonitor selects every Service")
        port = monitor["spec"]["endpoints"][0]["port"]
        c.check(
            all(port in [p["name"] for p in s["spec"]["ports"]] for s in selected), f"{name}: port {port}"
        )


def check_notes(c, name, path, docs):
    """NOTES.txt tells, for every Deployment, how to read its logs, reach /readyz and /metrics, run check."""
    with open(path) as f:
        text = yaml.safe_load(f)["text"]
    for dep in [d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"]:
        for hint in [
            f"logs deployment/{dep}",
            f"port-forward service/{dep}",
            f"exec deployment/{dep} -- intercom-cdc check",
        ]:
            c.check(hint in text, f"{name}: NOTES.txt has '{hint}'")
    c.check("/readyz" in text and "/metrics" in text, f"{name}: NOTES.txt names /readyz and /metrics")


def check_dashboard(c, path, configmaps):
    with open(path) as f:
        text = f.read()
    dashboard = json.loads(text)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {re.sub(r"_(bucket|sum|count)$", "", m) for e in exprs for m in re.findall(r"intercom_cdc_\w+", e)}
    c.check(used <= METRICS, f"dashboard: only contract metrics (unknown: {sorted(used - METRICS)})")
    c.check(METRICS <= used, f"dashboard: every contract metric shown (missing: {sorted(METRICS - used)})")
    for cm in configmaps:
        c.check(
            json.loads(cm["data"]["intercom-cdc.json"]) == dashboard,
            "dashboard: ConfigMap ships the JSON as is",
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kube-version", required=True)
    parser.add_argument("--crd-schemas", required=True)
    parser.add_argument("--dashboard", required=True)
    parser.add_argument(
        "--notes-dir", required=True, help="holds NAME.notes.yaml: {text: rendered NOTES.txt}"
    )
    parser.add_argument("rendered", nargs="+", help="NAME=FILE")
    args = parser.parse_args()
    c = Checks()
    configmaps = []
    for item in args.rendered:
        name, path = item.split("=", 1)
        docs = load_docs(path)
        for doc in docs:
            error = validate_schema(doc, args.kube_version, args.crd_schemas)
            c.check(error is None, f"{name}: {doc['kind']}/{doc['metadata']['name']} schema: {error}")
        print(f"  {name}: {len(docs)} manifests validated against Kubernetes {args.kube_version} schemas")
        check_set(c, name, docs, EXPECT[name])
        check_notes(c, name, os.path.join(args.notes_dir, f"{name}.notes.yaml"), docs)
        configmaps += [d for d in docs if d["kind"] == "ConfigMap"]
    check_dashboard(c, args.dashboard, configmaps)
    print(f"  manifest checks: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
