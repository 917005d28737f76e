"""Validate rendered chart manifests offline and assert facts about them.

Usage: manifests.py --kube-version 1.31.0 --crd-schemas DIR --notes-dir DIR --dashboard FILE \
       NAME=RENDERED.yaml ...

Every document is validated against the strict Kubernetes JSON schema of that version shipped by
kubernetes-validate; custom resources (ServiceMonitor, PrometheusRule) against
DIR/<kind>-<group>-<version>.json. A kind with no schema is an error, not a warning. Then the facts in
EXPECT are asserted for each NAME (the value set's file name without .yaml), and the rendered NOTES.txt in
--notes-dir/NAME.notes.yaml is checked. --checksum-variants NAME=CHANGED,UNCHANGED compares NAME's pod
template with two more renders of the same values: CHANGED with another `config`, whose checksum/config
annotation must differ, UNCHANGED with another setting outside `config`, whose annotation must not.
Prints each failed check and a count; exits 1 when any fails.
"""

import argparse
import hashlib
import json
from urllib.parse import urlparse
import os
import re
import sys

import jsonschema
import yaml
from kubernetes_validate import utils as kv

SECRET_ROOT = "/etc/intercom-cdc/secrets/"
CONFIG_FILE = "/etc/intercom-cdc/config/config.json"
# Environment variables that would carry a secret value; the chart must only ever set their *_FILE twins.
SECRET_VALUE_ENV = {
    "INTERCOM_TOKEN",
    "INTERCOM_OAUTH_CLIENT_SECRET",
    "WEBHOOKS_CLIENT_SECRET",
    "WEBHOOKS_PREVIOUS_CLIENT_SECRET",
    "KAFKA_SASL_PASSWORD",
    "SCHEMA_REGISTRY_PASSWORD",
}
# The metrics contract (README, "Operations"), without the histogram's _bucket/_sum/_count suffixes.
METRICS = {
    "intercom_cdc_events_total",
    "intercom_cdc_api_requests_total",
    "intercom_cdc_api_rate_limited_total",
    "intercom_cdc_api_rate_limit_remaining",
    "intercom_cdc_api_rate_limit_wait_seconds_total",
    "intercom_cdc_api_retries_total",
    "intercom_cdc_stream_lag_seconds",
    "intercom_cdc_poll_duration_seconds",
    "intercom_cdc_transactions_total",
    "intercom_cdc_dlq_total",
    "intercom_cdc_future_timestamps_total",
    "intercom_cdc_embedded_list_requests_total",
    "intercom_cdc_stream_failed",
    "intercom_cdc_state_objects",
    "intercom_cdc_state_bytes",
    "intercom_cdc_state_records_skipped_total",
    "intercom_cdc_api_request_duration_seconds",
    "intercom_cdc_build_info",
    "intercom_cdc_stream_seconds_since_last_event",
    "intercom_cdc_kafka_concurrent_transaction_retries_total",
    "intercom_cdc_api_requests_in_flight",
    "intercom_cdc_api_max_in_flight",
    "intercom_cdc_snapshot_slices_done",
    "intercom_cdc_snapshot_slices_total",
    "intercom_cdc_snapshot_objects_read",
    "intercom_cdc_snapshot_estimated_completion_seconds",
    "intercom_cdc_completeness_gap",
    "intercom_cdc_completeness_parts_missing",
    "intercom_cdc_completeness_parents_missing_parts",
}
# kube-state-metrics' series the alerts on the pod use.
KSM_METRICS = {
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_last_terminated_exitcode",
    "kube_pod_status_ready",
}
CHART_ALERTS = {
    "IntercomCdcStreamLagHigh",
    "IntercomCdcDeadLetters",
    "IntercomCdcRateLimited",
    "IntercomCdcNoEvents",
    "IntercomCdcRestarting",
    "IntercomCdcFenced",
    "IntercomCdcNotReady",
    "IntercomCdcSnapshotStalled",
    "IntercomCdcIncomplete",
}
# The webhook receiver's series (not on the dashboard) and its alert, rendered only with webhooks.enabled.
RECEIVER_METRICS = {"intercom_cdc_webhooks_received_total"}
WEBHOOK_ALERTS = {"IntercomCdcWebhooksSilent"}
KINDS = [
    "Deployment",
    "Service",
    "ServiceAccount",
    "ServiceMonitor",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ConfigMap",
    "PrometheusRule",
    "Pod",
    "Ingress",
]
# The component label of the webhook receiver's objects (templates/webhooks.yaml); everything else is the
# connectors' (one Deployment per workspace) or the release's.
WEBHOOKS = "webhooks"


def counts(deployment, service, monitor, pdb, netpol, configmaps, rules=0):
    """ConfigMaps: the dashboard's and one per instance with `config`. Pods: one `helm test` pod each."""
    values = [deployment, service, 1, monitor, pdb, netpol, configmaps, rules, deployment, 0]
    return dict(zip(KINDS, values, strict=True))


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
                    "WEBHOOKS_TOPIC": None,
                    "STREAMS": None,
                    "INCLUDE_RAW": None,
                    "HTTP_PORT": "8080",
                    "KAFKA_REPLICATION_FACTOR": None,
                    "CONFIG_FILE": None,
                    "SCHEMA_REGISTRY_CERT_FILE": None,
                },
                "secrets": {"intercom-token"},
            }
        },
    },
    "full": {
        "counts": counts(1, 1, 1, 1, 1, 2, 1),
        "alerts": (CHART_ALERTS - {"IntercomCdcNoEvents"}) | {"IntercomCdcTransactionsAborted"},
        "alert_exprs": {"IntercomCdcStreamLagHigh": "> 600", "IntercomCdcRateLimited": "> 0.01"},
        "alert_labels": {"team": "data"},
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
                    "SCHEMA_REGISTRY_CERT_FILE": SECRET_ROOT + "registry-cert/tls.crt",
                    "SCHEMA_REGISTRY_KEY_FILE": SECRET_ROOT + "registry-key/tls-key.pem",
                    "CONFIG_FILE": CONFIG_FILE,
                    "NODE_EXTRA_CA_CERTS": "/etc/ssl/corporate/ca.crt",
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
                    "registry-client-tls",
                },
                "config": {
                    "streams.overlapMs": 900000,
                    "streams.overrides.conversations.pollIntervalMs": 5000,
                    "streams.overrides.conversations.reconcileIntervalMs": 1800000,
                    "streams.overrides.admins.pollIntervalMs": 600000,
                },
                "env_from": [
                    ("configMapRef", "intercom-cdc-tuning", None),
                    ("secretRef", "intercom-cdc-sink", "SINK_CONTACTS_"),
                ],
                "extra_mounts": {"/etc/ssl/corporate": ("configMap", "corporate-ca-bundle")},
            }
        },
    },
    "multi-workspace": {
        "counts": counts(3, 3, 0, 0, 0, 3, 1),
        "alerts": CHART_ALERTS | WEBHOOK_ALERTS,
        # One receiver for the release: its topic is the top-level prefix's, and every workspace reads it.
        "webhooks": {
            "replicas": 2,
            "env": {"TOPIC_PREFIX": "intercom", "WEBHOOKS_TOPIC": "intercom._webhooks"},
            "secrets": {"intercom-app"},
            "pdb": True,
        },
        "workspaces": {
            "acme": {
                "env": {
                    "CONNECTOR_NAME": "rel-intercom-cdc-acme",
                    "WORKSPACE_ID": "acme01",
                    "INTERCOM_REGION": "us",
                    "TOPIC_PREFIX": "intercom.acme",
                    "WEBHOOKS_TOPIC": "intercom._webhooks",
                    "INCLUDE_RAW": "true",
                    "POLL_INTERVAL_MS": "30000",
                    "STREAMS": None,
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/token",
                    "KAFKA_REPLICATION_FACTOR": "-1",
                    "CONFIG_FILE": CONFIG_FILE,
                },
                "secrets": {"intercom-acme"},
                "config": {
                    "streams.overrides.admins.pollIntervalMs": 600000,
                    "streams.overrides.conversations": None,
                },
            },
            "globex": {
                "env": {
                    "CONNECTOR_NAME": "globex-cdc",
                    "INTERCOM_REGION": "eu",
                    "TOPIC_PREFIX": "intercom.globex",
                    "WEBHOOKS_TOPIC": "intercom._webhooks",
                    "INCLUDE_RAW": "false",
                    "STREAMS": "contacts,conversations",
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/access-token",
                },
                "secrets": {"intercom-globex"},
                "memory_limit": "1536Mi",
                # The workspace's config is merged into the top-level one, key by key.
                "config": {
                    "streams.overrides.admins.pollIntervalMs": 600000,
                    "streams.overrides.conversations.pollIntervalMs": 5000,
                },
            },
            "initech": {
                "env": {
                    "CONNECTOR_NAME": "rel-intercom-cdc-initech",
                    "INTERCOM_REGION": "au",
                    "TOPIC_PREFIX": "initech",
                    "WEBHOOKS_TOPIC": "intercom._webhooks",
                    "POLL_INTERVAL_MS": "5000",
                    "INTERCOM_OAUTH_CLIENT_ID": "initech-app",
                    "INTERCOM_OAUTH_CLIENT_SECRET_FILE": SECRET_ROOT + "intercom-oauth/client-secret",
                    "INTERCOM_TOKEN_FILE": SECRET_ROOT + "intercom-token/token.json",
                },
                "secrets": {"intercom-initech-oauth", "intercom-initech-token"},
            },
        },
    },
    "webhooks": {
        "counts": counts(1, 1, 1, 0, 1, 0, 1),
        "alerts": CHART_ALERTS | WEBHOOK_ALERTS,
        "alert_exprs": {
            "IntercomCdcWebhooksSilent": 'service="rel-intercom-cdc-webhooks", result="filed"}[30m]',
        },
        "workspaces": {
            "default": {
                "env": {"TOPIC_PREFIX": "crm.intercom", "WEBHOOKS_TOPIC": "crm.intercom._webhooks"},
                "secrets": {"intercom-token", "kafka-ca", "kafka-sasl"},
            }
        },
        # The receiver's objects, checked by check_webhooks (absent: none may be rendered).
        "webhooks": {
            "replicas": 3,
            "env": {
                "WEBHOOKS_PORT": "8090",
                "WEBHOOKS_PATH": "/intercom/webhooks",
                "WEBHOOKS_CLIENT_SECRET_FILE": SECRET_ROOT + "webhooks-client-secret/client-secret",
                "WEBHOOKS_PREVIOUS_CLIENT_SECRET_FILE": SECRET_ROOT
                + "webhooks-previous-client-secret/previous-client-secret",
                "KAFKA_BROKERS": "kafka-0.kafka:9093,kafka-1.kafka:9093",
                "KAFKA_SSL": "true",
                "KAFKA_SSL_CA_FILE": SECRET_ROOT + "kafka-ca/ca.crt",
                "KAFKA_SASL_MECHANISM": "scram-sha-512",
                "KAFKA_SASL_PASSWORD_FILE": SECRET_ROOT + "kafka-sasl-password/password",
                "TOPIC_PREFIX": "crm.intercom",
                "WEBHOOKS_TOPIC": "crm.intercom._webhooks",
                "INTERCOM_TOKEN_FILE": None,
                "SCHEMA_REGISTRY_URL": None,
            },
            "secrets": {"intercom-app", "kafka-ca", "kafka-sasl"},
            "ingress": {
                "host": "hooks.example.com",
                "tls_secret": "intercom-cdc-webhooks-tls",
                "annotation": ("cert-manager.io/cluster-issuer", "letsencrypt"),
            },
            "network_policy": True,
            "pdb": True,
        },
    },
    "openshift": {
        "counts": counts(1, 1, 0, 0, 0, 1),
        "no_fixed_ids": True,
        "workspaces": {
            "default": {
                "env": {
                    "KAFKA_SSL": "true",
                    "KAFKA_SSL_CA_FILE": SECRET_ROOT + "kafka-ca/ca.crt",
                    "KAFKA_SSL_CERT_FILE": SECRET_ROOT + "kafka-cert/user.crt",
                    "KAFKA_SSL_KEY_FILE": SECRET_ROOT + "kafka-key/user.key",
                    "CONFIG_FILE": CONFIG_FILE,
                },
                "secrets": {"intercom-token", "my-cluster-cluster-ca-cert", "intercom-cdc"},
                "config": {
                    "schemaRegistry.caFile": "/etc/strimzi/cluster-ca/ca.crt",
                    "schemaRegistry.certFile": "/etc/strimzi/user/user.crt",
                    "schemaRegistry.keyFile": "/etc/strimzi/user/user.key",
                },
                "extra_mounts": {
                    "/etc/strimzi/user": ("secret", "intercom-cdc"),
                    "/etc/strimzi/cluster-ca": ("secret", "my-cluster-cluster-ca-cert"),
                },
            }
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


def check_deployment(c, dep, where, replicas=None):
    """A connector's Deployment (replicas None: one replica, Recreate, never two at once) or the webhook
    receiver's (replicas: that many, rolled with none unavailable). Both: the pod's security, probes and
    secrets as files."""
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    ctr = pod["containers"][0]
    sc = ctr.get("securityContext", {})
    if replicas is None:
        c.check(spec.get("replicas") == 1, f"{where}: replicas is 1")
        c.check(spec.get("strategy", {}).get("type") == "Recreate", f"{where}: strategy Recreate")
    else:
        strategy = spec.get("strategy", {})
        c.check(spec.get("replicas") == replicas, f"{where}: replicas is {replicas}")
        c.check(
            strategy.get("type") == "RollingUpdate"
            and strategy.get("rollingUpdate", {}).get("maxUnavailable") == 0,
            f"{where}: strategy RollingUpdate, maxUnavailable 0",
        )
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


def lookup(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def pod_parts(pod):
    """The pod spec, its first container, its volumes by name and the container's mounts by path."""
    ctr = pod["containers"][0]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in ctr.get("volumeMounts", [])}
    return ctr, volumes, mounts


def check_config(c, where, dep, configmaps, want):
    """`config`: a ConfigMap mounted read-only where CONFIG_FILE points, and the pod's checksum of it."""
    template = dep["spec"]["template"]
    ctr, volumes, mounts = pod_parts(template["spec"])
    env = env_of(ctr)
    checksum = template["metadata"].get("annotations", {}).get("checksum/config")
    if env.get("CONFIG_FILE") is None:
        c.check(checksum is None, f"{where}: no checksum/config annotation without a config file")
        c.check("config" not in volumes, f"{where}: no config volume without a config file")
        return
    c.check(env["CONFIG_FILE"] == CONFIG_FILE, f"{where}: CONFIG_FILE={env['CONFIG_FILE']}")
    directory, key = os.path.split(env["CONFIG_FILE"])
    mount = mounts.get(directory, {})
    c.check(mount.get("readOnly") is True, f"{where}: {directory} mounted read-only")
    cm_name = volumes.get(mount.get("name"), {}).get("configMap", {}).get("name")
    text = configmaps.get(cm_name, {}).get("data", {}).get(key)
    if not c.check(text is not None, f"{where}: CONFIG_FILE is key {key} of the ConfigMap {cm_name}"):
        return
    c.check(
        checksum == hashlib.sha256(text.encode()).hexdigest(),
        f"{where}: checksum/config is the sha256 of the mounted config file",
    )
    config = json.loads(text)
    for path, value in want.get("config", {}).items():
        got = lookup(config, path)
        c.check(got == value, f"{where}: config {path}={got!r}, expected {value!r}")


def check_extras(c, where, dep, want):
    """envFrom and extraVolumes/extraVolumeMounts reach the container as given."""
    ctr, volumes, mounts = pod_parts(dep["spec"]["template"]["spec"])
    got = [
        (kind, e[kind]["name"], e.get("prefix"))
        for e in ctr.get("envFrom", [])
        for kind in ("configMapRef", "secretRef")
        if kind in e
    ]
    c.check(got == want.get("env_from", []), f"{where}: envFrom {got}")
    for path, (kind, source) in want.get("extra_mounts", {}).items():
        volume = volumes.get(mounts.get(path, {}).get("name"), {})
        name = volume.get(kind, {}).get("secretName" if kind == "secret" else "name")
        c.check(name == source, f"{where}: {path} mounts {kind} {source} (got {name})")


def check_test_pod(c, where, dep, pods, services, netpols, workspace):
    """`helm test`: one pod per instance runs `check` with exactly the connector's env, files and security."""
    mine = [p for p in pods if p["metadata"]["labels"].get("intercom-cdc/check-of") == workspace]
    if not c.check(len(mine) == 1, f"{where}: one helm test pod (got {len(mine)})"):
        return
    test = mine[0]
    annotations = test["metadata"].get("annotations", {})
    c.check(annotations.get("helm.sh/hook") == "test", f"{where}: test pod has helm.sh/hook: test")
    spec, dspec = test["spec"], dep["spec"]["template"]["spec"]
    ctr, dctr = spec["containers"][0], dspec["containers"][0]
    c.check(spec.get("restartPolicy") == "Never", f"{where}: test pod restartPolicy Never")
    c.check(
        ctr.get("args") == ["check"] and "command" not in ctr,
        f"{where}: test pod runs the image's entrypoint with `check` (args {ctr.get('args')})",
    )
    for field in ("image", "env", "envFrom", "volumeMounts", "securityContext"):
        c.check(ctr.get(field) == dctr.get(field), f"{where}: test pod container {field} as the Deployment's")
    for field in ("volumes", "securityContext", "serviceAccountName", "imagePullSecrets"):
        c.check(spec.get(field) == dspec.get(field), f"{where}: test pod {field} as the Deployment's")
    labels = test["metadata"]["labels"]
    c.check(
        not any(s["spec"]["selector"].items() <= labels.items() for s in services),
        f"{where}: no Service selects the test pod",
    )
    for np in netpols:
        c.check(
            np["spec"]["podSelector"]["matchLabels"].items() <= labels.items(),
            f"{where}: the NetworkPolicy applies to the test pod",
        )


def balanced(expr):
    depth = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch in re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr):
        if ch in "([{":
            depth.append(ch)
        elif ch in pairs and (not depth or depth.pop() != pairs[ch]):
            return False
    return not depth


def check_rules(c, name, rules, expect, deployments, services, receiver_services=()):
    """The PrometheusRule: the expected alerts, on contract metrics, scoped to exactly this release."""
    for doc in rules:
        groups = doc["spec"]["groups"]
        c.check(len({g["name"] for g in groups}) == len(groups), f"{name}: rule group names unique")
        alerts = {r["alert"]: r for g in groups for r in g["rules"] if "alert" in r}
        c.check(set(alerts) == expect.get("alerts", set()), f"{name}: alerts {sorted(alerts)}")
        pods = [f"{d['metadata']['name']}-5d9f8b7c4-x2x7k" for d in deployments]
        for alert in sorted(set(alerts) & (CHART_ALERTS | WEBHOOK_ALERTS)):
            rule, where = alerts[alert], f"{name}/{alert}"
            expr = rule["expr"]
            names = re.findall(r"\b(?:intercom_cdc|kube)_\w+", expr)
            used = {re.sub(r"_(bucket|sum|count)$", "", m) for m in names}
            known = METRICS | KSM_METRICS | RECEIVER_METRICS
            c.check(used and used <= known, f"{where}: known metrics only ({sorted(used)})")
            c.check(balanced(expr), f"{where}: brackets balanced")
            for selector in re.findall(r"\{([^}]*)\}", expr):
                matchers = dict(re.findall(r'(\w+)=~?"([^"]*)"', selector))
                c.check(matchers.get("namespace") == "default", f"{where}: scoped to the release namespace")
                if "service" in matchers:
                    # The receiver's series: exactly its Service; every other: exactly the connectors'.
                    mine = receiver_services if "webhooks_received" in selector_metric(expr, selector) else services
                    others = [s for s in services + list(receiver_services) if s not in mine]
                    c.check(
                        all(re.fullmatch(matchers["service"], s["metadata"]["name"]) for s in mine)
                        and not any(re.fullmatch(matchers["service"], s["metadata"]["name"]) for s in others)
                        and not re.fullmatch(matchers["service"], "other-intercom-cdc"),
                        f"{where}: service=~ matches exactly the release's Services of that metric",
                    )
                elif "pod" in matchers:
                    c.check(
                        all(re.fullmatch(matchers["pod"], p) for p in pods)
                        and not any(
                            re.fullmatch(matchers["pod"], f"{d['metadata']['name']}-check")
                            for d in deployments
                        ),
                        f"{where}: pod=~ matches the Deployments' pods, not the test pod",
                    )
                else:
                    c.check(False, f"{where}: selector {{{selector}}} names neither service nor pod")
            labels = rule.get("labels", {})
            c.check(bool(labels.get("severity")), f"{where}: has a severity")
            c.check(
                expect.get("alert_labels", {}).items() <= labels.items(), f"{where}: alertLabels applied"
            )
            c.check(
                {"summary", "description"} <= rule.get("annotations", {}).keys(),
                f"{where}: summary and description",
            )
        for alert, fragment in expect.get("alert_exprs", {}).items():
            expr = alerts.get(alert, {}).get("expr", "")
            c.check(fragment in expr, f"{name}/{alert}: threshold '{fragment}'")


def selector_metric(expr, selector):
    """The metric name right before the first occurrence of {selector} in expr."""
    before = expr[: expr.index("{" + selector + "}")]
    names = re.findall(r"\w+$", before)
    return names[0] if names else ""


def check_no_fixed_ids(c, where, pod):
    """OpenShift's restricted SCC assigns user, group and fsGroup: the pod must not fix them."""
    contexts = [pod.get("securityContext", {})]
    contexts += [ctr.get("securityContext", {}) for ctr in pod["containers"]]
    fixed = sorted({k for sc in contexts for k in ("runAsUser", "runAsGroup", "fsGroup") if k in sc})
    c.check(not fixed, f"{where}: no fixed {fixed}")
    c.check(
        all(ctr["securityContext"].get("readOnlyRootFilesystem") is True for ctr in pod["containers"]),
        f"{where}: read-only root filesystem",
    )


def check_checksum_variants(c, name, docs, changed, unchanged):
    """A change of `config` changes the checksum/config annotation (rolls the pod); others do not."""

    def checksums(ds):
        return {
            d["metadata"]["name"]: d["spec"]["template"]["metadata"]
            .get("annotations", {})
            .get("checksum/config")
            for d in ds
            if d["kind"] == "Deployment"
        }

    base, after_config, after_other = checksums(docs), checksums(changed), checksums(unchanged)
    c.check(bool(base) and all(base.values()), f"{name}: every Deployment has a checksum/config")
    for dep, value in base.items():
        c.check(
            after_config.get(dep) not in (None, value),
            f"{name}/{dep}: another config changes checksum/config",
        )
        c.check(after_other.get(dep) == value, f"{name}/{dep}: a change outside config keeps checksum/config")


def selects(selector, labels):
    """Whether a LabelSelector (matchLabels, matchExpressions In/NotIn/Exists/DoesNotExist) selects labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for e in selector.get("matchExpressions", []):
        key, op, values = e["key"], e["operator"], e.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def is_webhooks(doc):
    return doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == WEBHOOKS


def check_webhooks(c, name, docs, connectors, want):
    """The webhook receiver's objects (templates/webhooks.yaml): several replicas of `intercom-cdc webhooks`
    with only Kafka's and the app's secrets, a Service and PodDisruptionBudget selecting exactly its pods,
    the Ingress to its port, and a NetworkPolicy admitting its port and letting out DNS and Kafka only.
    `connectors`: the other objects, none of which may select the receiver's pods."""
    by_kind = {k: [d for d in docs if d["kind"] == k] for k in {d["kind"] for d in docs}}
    if want is None:
        c.check(not docs, f"{name}: no webhook receiver objects ({sorted(by_kind)})")
        return
    where = f"{name}/webhooks"
    if not c.check(len(by_kind.get("Deployment", [])) == 1, f"{where}: one Deployment"):
        return
    dep = by_kind["Deployment"][0]
    env, secrets = check_deployment(c, dep, where, replicas=want["replicas"])
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    ctr = dep["spec"]["template"]["spec"]["containers"][0]
    c.check(
        ctr.get("args") == ["webhooks"], f"{where}: runs `intercom-cdc webhooks` (args {ctr.get('args')})"
    )
    ports = {p["name"]: p["containerPort"] for p in ctr.get("ports", [])}
    c.check(
        str(ports.get("webhooks")) == env.get("WEBHOOKS_PORT"), f"{where}: port webhooks is WEBHOOKS_PORT"
    )
    c.check(str(ports.get("http")) == env.get("HTTP_PORT"), f"{where}: port http is HTTP_PORT")
    for var, value in want["env"].items():
        c.check(env.get(var) == value, f"{where}: {var}={env.get(var)!r}, expected {value!r}")
    c.check(secrets == want["secrets"], f"{where}: mounted secrets {sorted(secrets)}")
    services = by_kind.get("Service", [])
    c.check(
        len(services) == 1 and selects({"matchLabels": services[0]["spec"]["selector"]}, pod_labels),
        f"{where}: one Service, selecting the receiver's pods",
    )
    for svc in services:
        c.check(
            {"webhooks", "http"} <= {p["name"] for p in svc["spec"]["ports"]},
            f"{where}: Service ports webhooks, http",
        )
    for other in connectors:
        spec = other.get("spec", {})
        selector = {
            "Service": {"matchLabels": spec.get("selector", {})},
            "Deployment": spec.get("selector"),
            "PodDisruptionBudget": spec.get("selector"),
            "NetworkPolicy": spec.get("podSelector"),
        }.get(other["kind"])
        if selector is not None:
            c.check(
                not selects(selector, pod_labels),
                f"{where}: {other['kind']}/{other['metadata']['name']} does not select the receiver's pods",
            )
    pdbs = by_kind.get("PodDisruptionBudget", [])
    if want.get("pdb"):
        c.check(
            len(pdbs) == 1
            and selects(pdbs[0]["spec"]["selector"], pod_labels)
            and 0 < pdbs[0]["spec"].get("maxUnavailable", 0) < want["replicas"],
            f"{where}: a PodDisruptionBudget of its pods, 0 < maxUnavailable < replicas",
        )
    ingresses = by_kind.get("Ingress", [])
    if want.get("ingress"):
        wi = want["ingress"]
        ok = len(ingresses) == 1
        if ok:
            ing = ingresses[0]["spec"]
            rule = ing["rules"][0]
            path = rule["http"]["paths"][0]
            backend = path["backend"]["service"]
            ok = (
                rule["host"] == wi["host"]
                and path["path"] == env.get("WEBHOOKS_PATH")
                and backend["name"] == services[0]["metadata"]["name"]
                and backend["port"].get("name") == "webhooks"
                and any(t.get("secretName") == wi["tls_secret"] for t in ing.get("tls", []))
                and ingresses[0]["metadata"].get("annotations", {}).get(wi["annotation"][0])
                == wi["annotation"][1]
            )
        c.check(
            ok, f"{where}: Ingress with TLS: host, WEBHOOKS_PATH to the webhooks port, annotations"
        )
    else:
        c.check(not ingresses, f"{where}: no Ingress")
    policies = by_kind.get("NetworkPolicy", [])
    if want.get("network_policy"):
        if c.check(
            len(policies) == 1 and selects(policies[0]["spec"]["podSelector"], pod_labels),
            f"{where}: a NetworkPolicy of its pods",
        ):
            np = policies[0]["spec"]
            admitted = {p["port"] for r in np.get("ingress", []) for p in r.get("ports", [])}
            c.check(
                admitted == {"webhooks", "http"}, f"{where}: NetworkPolicy admits ports {sorted(admitted)}"
            )
            got = {(p["port"], p["protocol"]) for r in np.get("egress", []) for p in r.get("ports", [])}
            brokers = {int(b.rsplit(":", 1)[1]) for b in env["KAFKA_BROKERS"].split(",")}
            want_ports = {(53, "UDP"), (53, "TCP")} | {(p, "TCP") for p in brokers}
            c.check(
                got == want_ports, f"{where}: NetworkPolicy egress {sorted(got)}, expected DNS and brokers"
            )
    else:
        c.check(not policies, f"{where}: no NetworkPolicy")


def container_env(dep):
    """The plain environment of a Deployment's container, by name."""
    env = dep["spec"]["template"]["spec"]["containers"][0].get("env", [])
    return {e["name"]: e.get("value") for e in env}


def check_set(c, name, docs, expect):
    receiver = [d for d in docs if is_webhooks(d)]
    docs = [d for d in docs if not is_webhooks(d)]
    check_webhooks(c, name, receiver, docs, expect.get("webhooks"))
    by_kind = {k: [d for d in docs if d["kind"] == k] for k in {d["kind"] for d in docs}}
    actual = {k: len(by_kind.get(k, [])) for k in KINDS}
    c.check(actual == expect["counts"] and set(by_kind) <= set(KINDS), f"{name}: objects {actual}")
    c.check(not by_kind.get("Secret"), f"{name}: no Secret rendered")
    deployments = {
        d["metadata"]["labels"]["intercom-cdc/workspace"]: d for d in by_kind.get("Deployment", [])
    }
    configmaps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    c.check(set(deployments) == set(expect["workspaces"]), f"{name}: workspaces {sorted(deployments)}")
    # The receiver files every workspace's notifications in one topic: each connector must read that one.
    for dep in [d for d in receiver if d["kind"] == "Deployment"]:
        topic = container_env(dep).get("WEBHOOKS_TOPIC")
        for ws, connector in deployments.items():
            got = container_env(connector).get("WEBHOOKS_TOPIC")
            c.check(
                topic is not None and got == topic,
                f"{name}/{ws}: WEBHOOKS_TOPIC={got!r}, the receiver's {topic!r}",
            )
    for ws, want in expect["workspaces"].items():
        if ws not in deployments:
            continue
        where = f"{name}/{ws}"
        env, secrets = check_deployment(c, deployments[ws], where)
        check_config(c, where, deployments[ws], configmaps, want)
        check_extras(c, where, deployments[ws], want)
        check_test_pod(
            c, where, deployments[ws], by_kind.get("Pod", []), by_kind.get("Service", []),
            by_kind.get("NetworkPolicy", []), ws,
        )
        if expect.get("no_fixed_ids"):
            check_no_fixed_ids(c, where, deployments[ws]["spec"]["template"]["spec"])
            for pod in by_kind.get("Pod", []):
                check_no_fixed_ids(c, f"{where} test pod", pod["spec"])
        for var, value in want["env"].items():
            c.check(env.get(var) == value, f"{where}: {var}={env.get(var)!r}, expected {value!r}")
        c.check(secrets == want["secrets"], f"{where}: mounted secrets {sorted(secrets)}")
        if "memory_limit" in want:
            limits = deployments[ws]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
            c.check(
                limits.get("memory") == want["memory_limit"], f"{where}: memory limit {limits.get('memory')}"
            )
    check_rules(
        c, name, by_kind.get("PrometheusRule", []), expect, by_kind.get("Deployment", []),
        by_kind.get("Service", []), [s for s in receiver if s["kind"] == "Service"],
    )
    check_network_policy(c, name, by_kind.get("NetworkPolicy", []), by_kind.get("Deployment", []))
    names = [d["metadata"]["name"] for d in by_kind.get("Deployment", [])]
    c.check(len(set(names)) == len(names), f"{name}: distinct Deployment names")
    for monitor in by_kind.get("ServiceMonitor", []):
        selector = monitor["spec"]["selector"]["matchLabels"]
        services = by_kind.get("Service", []) + [s for s in receiver if s["kind"] == "Service"]
        selected = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
        c.check(len(selected) == len(services) > 0, f"{name}: ServiceMonitor selects every Service")
        port = monitor["spec"]["endpoints"][0]["port"]
        c.check(
            all(port in [p["name"] for p in s["spec"]["ports"]] for s in selected), f"{name}: port {port}"
        )


def check_network_policy(c, name, policies, deployments):
    """An enabled NetworkPolicy lets out DNS, the brokers' and the registry's ports and HTTPS, no more."""
    for np in policies:
        rules = np["spec"].get("egress", [])
        c.check(all(r.get("ports") for r in rules), f"{name}: every egress rule names its ports")
        got = {(p["port"], p["protocol"]) for r in rules for p in r.get("ports", [])}
        for dep in deployments:
            env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
            brokers = {int(b.rsplit(":", 1)[1]) for b in (env.get("KAFKA_BROKERS") or "").split(",") if b}
            url = urlparse(env.get("SCHEMA_REGISTRY_URL") or "")
            registry = url.port or (443 if url.scheme == "https" else 80)
            want = {(53, "UDP"), (53, "TCP"), (443, "TCP"), (registry, "TCP")} | {(p, "TCP") for p in brokers}
            c.check(
                got == want,
                f"{name}: NetworkPolicy egress ports {sorted(got)}, expected {sorted(want)} (DNS, brokers, registry, HTTPS)",
            )


def check_notes(c, name, path, docs):
    """NOTES.txt tells, for every Deployment, how to read its logs, reach /readyz and /metrics, run check."""
    with open(path) as f:
        text = yaml.safe_load(f)["text"]
    for dep in [d["metadata"]["name"] for d in docs if d["kind"] == "Deployment" and is_webhooks(d)]:
        c.check(f"logs deployment/{dep}" in text, f"{name}: NOTES.txt has 'logs deployment/{dep}'")
    for dep in [d["metadata"]["name"] for d in docs if d["kind"] == "Deployment" and not is_webhooks(d)]:
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
    variables = [v for v in dashboard["templating"]["list"] if v["type"] == "query"]
    c.check(
        variables and all("intercom_cdc_build_info" in v["definition"] for v in variables),
        "dashboard: its variables come from intercom_cdc_build_info",
    )
    c.check("version" in [v["name"] for v in variables], "dashboard: a version variable")
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
    parser.add_argument(
        "--checksum-variants", action="append", default=[], help="NAME=CHANGED_CONFIG,CHANGED_ELSEWHERE"
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
        configmaps += [d for d in docs if d["kind"] == "ConfigMap" and "intercom-cdc.json" in d["data"]]
        for variant in args.checksum_variants:
            base, files = variant.split("=", 1)
            if base == name:
                changed, unchanged = files.split(",")
                check_checksum_variants(c, name, docs, load_docs(changed), load_docs(unchanged))
    check_dashboard(c, args.dashboard, configmaps)
    print(f"  manifest checks: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
