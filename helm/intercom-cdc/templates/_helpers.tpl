{{/*
Names. Kubernetes names are limited to 63 characters.
*/}}
{{- define "intercom-cdc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "intercom-cdc.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "intercom-cdc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every object of the release. */}}
{{- define "intercom-cdc.labels" -}}
helm.sh/chart: {{ include "intercom-cdc.chart" . }}
{{ include "intercom-cdc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selects every pod of the release, whatever its workspace. */}}
{{- define "intercom-cdc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "intercom-cdc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selects the pods of one instance. Argument: dict root, instance. */}}
{{- define "intercom-cdc.instanceSelectorLabels" -}}
{{ include "intercom-cdc.selectorLabels" .root }}
intercom-cdc/workspace: {{ .instance.workspace }}
{{- end -}}

{{- define "intercom-cdc.instanceLabels" -}}
{{ include "intercom-cdc.labels" .root }}
intercom-cdc/workspace: {{ .instance.workspace }}
app.kubernetes.io/component: connector
{{- end -}}

{{- define "intercom-cdc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "intercom-cdc.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "intercom-cdc.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
overlay: a deep copy of .base where every key of .over replaces the base's, recursing into maps present
in both. Unlike mergeOverwrite, false, 0, "" and [] in .over do override. Returns YAML.
*/}}
{{- define "intercom-cdc.overlay" -}}
{{- $out := deepCopy .base -}}
{{- range $k, $v := .over -}}
{{- $b := get $out $k -}}
{{- if and (kindIs "map" $v) (kindIs "map" $b) -}}
{{- $_ := set $out $k (include "intercom-cdc.overlay" (dict "base" $b "over" $v) | fromYaml) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
instances: what the Deployments are made of, as YAML {items: [{name, workspace, values}]}. Without
`workspaces`: one instance, the release itself. With it: one per entry, its values being the top-level
values overlaid with the entry's (topic prefix defaulting to <kafka.topicPrefix>.<entry name>).
connectorName defaults to the instance's name.
*/}}
{{- define "intercom-cdc.instances" -}}
{{- $fullname := include "intercom-cdc.fullname" . -}}
{{- $root := omit .Values "workspaces" -}}
{{- $items := list -}}
{{- if .Values.workspaces -}}
{{- $seen := dict -}}
{{- range .Values.workspaces -}}
{{- if hasKey $seen .name -}}
{{- fail (printf "workspaces: duplicate workspace name %q" .name) -}}
{{- end -}}
{{- $_ := set $seen .name true -}}
{{- $name := printf "%s-%s" $fullname .name | trunc 63 | trimSuffix "-" -}}
{{- $base := deepCopy $root -}}
{{- $_ := set $base.kafka "topicPrefix" (printf "%s.%s" $root.kafka.topicPrefix .name) -}}
{{- $values := include "intercom-cdc.overlay" (dict "base" $base "over" (omit . "name")) | fromYaml -}}
{{- $items = append $items (dict "name" $name "workspace" .name "values" $values) -}}
{{- end -}}
{{- else -}}
{{- $items = append $items (dict "name" $fullname "workspace" "default" "values" (deepCopy $root)) -}}
{{- end -}}
{{- range $items -}}
{{- $_ := set .values "connectorName" (default .name .values.connectorName) -}}
{{- if $root.webhooks.enabled -}}
{{- $_ := set .values "webhooksTopic" (include "intercom-cdc.webhooksTopic" $root) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "items" $items) -}}
{{- end -}}

{{/*
secretFiles: the secret references of one instance's values that are in use, as YAML {items: [{id, env,
secret, key}]}. Each is mounted at /etc/intercom-cdc/secrets/<id>/<key> and named by <env>.
*/}}
{{- define "intercom-cdc.secretFiles" -}}
{{- $v := . -}}
{{- $tls := $v.kafka.tls.enabled -}}
{{- $sasl := ne $v.kafka.sasl.mechanism "none" -}}
{{- $registryAuth := ne $v.schemaRegistry.basicAuth.username "" -}}
{{- $table := list
  (list "intercom-token" "INTERCOM_TOKEN_FILE" $v.intercom.tokenSecret true)
  (list "intercom-oauth" "INTERCOM_OAUTH_CLIENT_SECRET_FILE" $v.intercom.oauth.clientSecret true)
  (list "kafka-ca" "KAFKA_SSL_CA_FILE" $v.kafka.tls.ca $tls)
  (list "kafka-cert" "KAFKA_SSL_CERT_FILE" $v.kafka.tls.cert $tls)
  (list "kafka-key" "KAFKA_SSL_KEY_FILE" $v.kafka.tls.key $tls)
  (list "kafka-sasl-password" "KAFKA_SASL_PASSWORD_FILE" $v.kafka.sasl.passwordSecret $sasl)
  (list "registry-password" "SCHEMA_REGISTRY_PASSWORD_FILE" $v.schemaRegistry.basicAuth.passwordSecret $registryAuth)
  (list "registry-ca" "SCHEMA_REGISTRY_CA_FILE" $v.schemaRegistry.ca true)
  (list "registry-cert" "SCHEMA_REGISTRY_CERT_FILE" $v.schemaRegistry.cert true)
  (list "registry-key" "SCHEMA_REGISTRY_KEY_FILE" $v.schemaRegistry.key true)
-}}
{{- $items := list -}}
{{- range $table -}}
{{- $ref := index . 2 -}}
{{- if and (index . 3) $ref.name -}}
{{- $items = append $items (dict "id" (index . 0) "env" (index . 1) "secret" $ref.name "key" $ref.key) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "items" $items) -}}
{{- end -}}

{{/*
env: the plain (non-secret) environment of one instance, as YAML {items: [[NAME, value]]}. Entries whose
value is null or "" are left out so that the application's defaults apply.
*/}}
{{- define "intercom-cdc.env" -}}
{{- $v := . -}}
{{- $sasl := ne $v.kafka.sasl.mechanism "none" -}}
{{- $items := list
  (list "CONNECTOR_NAME" $v.connectorName)
  (list "WORKSPACE_ID" $v.workspaceId)
  (list "INTERCOM_REGION" $v.intercom.region)
  (list "INTERCOM_BASE_URL" $v.intercom.baseUrl)
  (list "INTERCOM_API_VERSION" $v.intercom.apiVersion)
  (list "INTERCOM_OAUTH_CLIENT_ID" $v.intercom.oauth.clientId)
  (list "INTERCOM_MAX_REQUESTS_PER_MINUTE" $v.intercom.maxRequestsPerMinute)
  (list "KAFKA_BROKERS" (join "," $v.kafka.brokers))
  (list "KAFKA_SSL" $v.kafka.tls.enabled)
  (list "KAFKA_SASL_MECHANISM" $v.kafka.sasl.mechanism)
  (list "KAFKA_SASL_USERNAME" (ternary $v.kafka.sasl.username "" $sasl))
  (list "TOPIC_PREFIX" $v.kafka.topicPrefix)
  (list "KAFKA_TOPIC_PARTITIONS" $v.kafka.topicPartitions)
  (list "KAFKA_REPLICATION_FACTOR" $v.kafka.replicationFactor)
  (list "SCHEMA_REGISTRY_URL" $v.schemaRegistry.url)
  (list "SCHEMA_REGISTRY_USERNAME" $v.schemaRegistry.basicAuth.username)
  (list "STREAMS" (join "," $v.streams))
  (list "POLL_INTERVAL_MS" $v.pollIntervalMs)
  (list "RECONCILE_INTERVAL_MS" $v.reconcileIntervalMs)
  (list "INCLUDE_RAW" $v.includeRaw)
  (list "ERRORS_TOLERANCE" $v.errorsTolerance)
  (list "HTTP_PORT" $v.httpPort)
  (list "LOG_LEVEL" $v.logLevel)
  (list "WEBHOOKS_TOPIC" $v.webhooksTopic)
-}}
{{- $out := list -}}
{{- range $items -}}
{{- $val := index . 1 -}}
{{- if not (or (kindIs "invalid" $val) (and (kindIs "string" $val) (eq $val ""))) -}}
{{- $out = append $out (list (index . 0) (include "intercom-cdc.scalar" $val)) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "items" $out) -}}
{{- end -}}

{{/* scalar: a value as an environment string; whole numbers never in exponent notation. */}}
{{- define "intercom-cdc.scalar" -}}
{{- if kindIs "float64" . -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* Where the `config` value is mounted; CONFIG_FILE names the file. */}}
{{- define "intercom-cdc.configDir" -}}/etc/intercom-cdc/config{{- end -}}

{{/* configMapName: the ConfigMap of one instance's `config`. Argument: the instance. */}}
{{- define "intercom-cdc.configMapName" -}}
{{- printf "%s-config" .name -}}
{{- end -}}

{{/*
configJson: the config file exactly as the ConfigMap holds it; the pod's checksum/config annotation is
its sha256. Argument: the instance's values.
*/}}
{{- define "intercom-cdc.configJson" -}}
{{- toPrettyJson .config -}}
{{- end -}}

{{/*
The container parts the Deployment and the `helm test` pod share, so that the test checks exactly what
the connector runs with. Argument: dict root, instance.
containerEnv: env and envFrom.
*/}}
{{- define "intercom-cdc.containerEnv" -}}
{{- $v := .instance.values -}}
{{- $secretFiles := (include "intercom-cdc.secretFiles" $v | fromYaml).items -}}
env:
  {{- range (include "intercom-cdc.env" $v | fromYaml).items }}
  - name: {{ index . 0 }}
    value: {{ index . 1 | quote }}
  {{- end }}
  {{- range $secretFiles }}
  - name: {{ .env }}
    value: {{ printf "/etc/intercom-cdc/secrets/%s/%s" .id .key | quote }}
  {{- end }}
  {{- if $v.config }}
  - name: CONFIG_FILE
    value: {{ printf "%s/config.json" (include "intercom-cdc.configDir" .) | quote }}
  {{- end }}
  {{- with $v.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $v.envFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* containerMounts: the volumeMounts of the container. Argument: dict root, instance. */}}
{{- define "intercom-cdc.containerMounts" -}}
{{- $v := .instance.values -}}
{{- $volumeNames := list -}}
{{- range $v.extraVolumes }}{{ $volumeNames = append $volumeNames .name }}{{ end -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- range (include "intercom-cdc.secretFiles" $v | fromYaml).items }}
  - name: secret-{{ .id }}
    mountPath: /etc/intercom-cdc/secrets/{{ .id }}
    readOnly: true
  {{- end }}
  {{- if $v.config }}
  - name: config
    mountPath: {{ include "intercom-cdc.configDir" . }}
    readOnly: true
  {{- end }}
  {{- range $v.extraVolumeMounts }}
  {{- if not (has .name $volumeNames) }}
  {{- fail (printf "extraVolumeMounts: %q names no volume of extraVolumes" .name) }}
  {{- end }}
  {{- end }}
  {{- with $v.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* podVolumes: the volumes of the pod. Argument: dict root, instance. */}}
{{- define "intercom-cdc.podVolumes" -}}
{{- $v := .instance.values -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ $v.tmpVolume.sizeLimit }}
  {{- range (include "intercom-cdc.secretFiles" $v | fromYaml).items }}
  - name: secret-{{ .id }}
    secret:
      secretName: {{ .secret }}
      defaultMode: 288 # 0440: owner and fsGroup may read
      items:
        - key: {{ .key }}
          path: {{ .key }}
  {{- end }}
  {{- if $v.config }}
  - name: config
    configMap:
      name: {{ include "intercom-cdc.configMapName" .instance }}
      defaultMode: 292 # 0444
  {{- end }}
  {{- range $v.extraVolumes }}
  {{- if or (has .name (list "tmp" "config")) (hasPrefix "secret-" .name) }}
  {{- fail (printf "extraVolumes: the name %q is the chart's own (tmp, config, secret-*)" .name) }}
  {{- end }}
  {{- end }}
  {{- with $v.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* podCommon: the pod's account, pull secrets and security context. Argument: dict root, instance. */}}
{{- define "intercom-cdc.podCommon" -}}
{{- $v := .instance.values -}}
serviceAccountName: {{ include "intercom-cdc.serviceAccountName" .root }}
automountServiceAccountToken: false
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* podPlacement: nodeSelector, affinity, tolerations. Argument: dict root, instance. */}}
{{- define "intercom-cdc.podPlacement" -}}
{{- $v := .instance.values -}}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The webhook receiver (values `webhooks`): one Deployment for the release, whatever `workspaces` says.
webhooksSelectorLabels selects its pods only (the connectors' carry app.kubernetes.io/component: connector).
*/}}
{{/*
webhooksTopic: the one topic the receiver files in and every connector of the release reads hints from
(WEBHOOKS_TOPIC): `webhooks.topic`, else <top-level kafka.topicPrefix>._webhooks. Argument: the top-level
values.
*/}}
{{- define "intercom-cdc.webhooksTopic" -}}
{{- default (printf "%s._webhooks" .kafka.topicPrefix) .webhooks.topic -}}
{{- end -}}

{{- define "intercom-cdc.webhooksName" -}}
{{- printf "%s-webhooks" (include "intercom-cdc.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "intercom-cdc.webhooksSelectorLabels" -}}
{{ include "intercom-cdc.selectorLabels" . }}
app.kubernetes.io/component: webhooks
{{- end -}}

{{- define "intercom-cdc.webhooksLabels" -}}
{{ include "intercom-cdc.labels" . }}
app.kubernetes.io/component: webhooks
{{- end -}}

{{/*
webhooksSecretFiles: the receiver's secret references in use, as secretFiles gives them (Kafka's and the
app's client secrets; it reads neither Intercom nor the registry). Argument: the top-level values.
*/}}
{{- define "intercom-cdc.webhooksSecretFiles" -}}
{{- $v := . -}}
{{- $tls := $v.kafka.tls.enabled -}}
{{- $sasl := ne $v.kafka.sasl.mechanism "none" -}}
{{- $table := list
  (list "webhooks-client-secret" "WEBHOOKS_CLIENT_SECRET_FILE" $v.webhooks.clientSecret true)
  (list "webhooks-previous-client-secret" "WEBHOOKS_PREVIOUS_CLIENT_SECRET_FILE" $v.webhooks.previousClientSecret true)
  (list "kafka-ca" "KAFKA_SSL_CA_FILE" $v.kafka.tls.ca $tls)
  (list "kafka-cert" "KAFKA_SSL_CERT_FILE" $v.kafka.tls.cert $tls)
  (list "kafka-key" "KAFKA_SSL_KEY_FILE" $v.kafka.tls.key $tls)
  (list "kafka-sasl-password" "KAFKA_SASL_PASSWORD_FILE" $v.kafka.sasl.passwordSecret $sasl)
-}}
{{- $items := list -}}
{{- range $table -}}
{{- $ref := index . 2 -}}
{{- if and (index . 3) $ref.name -}}
{{- $items = append $items (dict "id" (index . 0) "env" (index . 1) "secret" $ref.name "key" $ref.key) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "items" $items) -}}
{{- end -}}
