{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "talosctl-oidc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: release-chart unless the release name already contains the chart name. */}}
{{- define "talosctl-oidc.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "talosctl-oidc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "talosctl-oidc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "talosctl-oidc.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "talosctl-oidc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "talosctl-oidc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "talosctl-oidc.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The talos.dev ServiceAccount, and the Secret Talos creates for it under the same name. */}}
{{- define "talosctl-oidc.talosServiceAccountName" -}}
{{- printf "%s-talos" (include "talosctl-oidc.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret holding ca.crt, ca.key and the optional tokens: the user's, or the one this chart makes. */}}
{{- define "talosctl-oidc.secretName" -}}
{{- default (include "talosctl-oidc.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "talosctl-oidc.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* https unless the server runs in insecure mode behind a TLS-terminating proxy. */}}
{{- define "talosctl-oidc.scheme" -}}
{{- if eq .Values.tls.mode "insecure" }}http{{ else }}https{{ end }}
{{- end }}

{{/* Fail early on values that would only show up as a crash-looping pod. */}}
{{- define "talosctl-oidc.validate" -}}
{{- $_ := required "config.issuerUrl is required: the OIDC issuer URL" .Values.config.issuerUrl }}
{{- $_ = required "config.clientId is required: the OIDC client id (expected aud)" .Values.config.clientId }}
{{- if not .Values.config.endpoints }}
{{- fail "config.endpoints is required: the Talos endpoints returned to clients" }}
{{- end }}
{{- if and (not .Values.config.roles) (not .Values.config.rbac.rules) }}
{{- fail "config.rbac.rules or config.roles is required: map IdP claims to Talos roles with config.rbac.rules, or grant every user a static role on purpose with config.roles: [os:admin]" }}
{{- end }}
{{- if and (not .Values.talosApi.enabled) (not .Values.existingSecret) (not (and .Values.talosCA.cert .Values.talosCA.key)) }}
{{- fail "an issuing backend is required: set talosApi.enabled=true (recommended: Talos mints the certificates, no CA here), or the Talos OS CA with existingSecret or talosCA.cert and talosCA.key (--set-file)" }}
{{- end }}
{{- if and .Values.talosApi.enabled (not (has "os:admin" .Values.talosApi.roles)) }}
{{- fail "talosApi.roles must include os:admin: GenerateClientConfiguration needs it" }}
{{- end }}
{{- if not (has .Values.tls.mode (list "self-signed" "secret" "insecure")) }}
{{- fail (printf "tls.mode must be self-signed, secret or insecure, got %q" .Values.tls.mode) }}
{{- end }}
{{- if and (eq .Values.tls.mode "secret") (not .Values.tls.secretName) }}
{{- fail "tls.mode=secret needs tls.secretName (a kubernetes.io/tls Secret)" }}
{{- end }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- if not .Values.stateStore.url }}
{{- fail "replicaCount > 1 needs stateStore.url (redis://, rediss://, valkey:// or valkeys://): without a shared store every replica keeps its own rate limits, admin sessions, issuance history and block list" }}
{{- end }}
{{- if eq .Values.tls.mode "self-signed" }}
{{- fail "replicaCount > 1 needs tls.mode=secret (or insecure behind an ingress): in self-signed mode every pod makes its own CA and clients pin only one" }}
{{- end }}
{{- if and .Values.persistence.enabled (has "ReadWriteOnce" .Values.persistence.accessModes) }}
{{- fail "replicaCount > 1 cannot share a ReadWriteOnce volume: turn persistence off (with stateStore.url and tls.mode=secret nothing needs it)" }}
{{- end }}
{{- end }}
{{- if and .Values.stateStore.url (regexMatch "^[a-z]+://[^/@]*:[^/@]*@" .Values.stateStore.url) }}
{{- fail "stateStore.url must not carry a password (it would sit in a ConfigMap): put it in a Secret and set stateStore.existingSecret" }}
{{- end }}
{{- if and .Values.adminToken (lt (len .Values.adminToken) 32) }}
{{- fail "adminToken must be at least 32 characters: use the output of openssl rand -base64 32" }}
{{- end }}
{{- end }}

{{/*
config.yaml for the server. Paths match the mounts in deployment.yaml. The Talos CA is not in here: it comes from
the Secret as TALOSCTL_OIDC_CA_CERT_DATA / TALOSCTL_OIDC_CA_KEY_DATA (a secret volume with fsGroup is group-readable,
and the server refuses a CA key file that group or others may read).
*/}}
{{- define "talosctl-oidc.config" -}}
{{- $c := .Values.config }}
{{- $fullname := include "talosctl-oidc.fullname" . }}
{{- $cfg := dict "issuer_url" $c.issuerUrl "client_id" $c.clientId "endpoints" $c.endpoints }}
{{- $_ := set $cfg "listen" (printf ":%v" .Values.service.port) }}
{{- $_ = set $cfg "cert_ttl" $c.certTTL }}
{{- /* A subdirectory of the volume: the server creates it 0700 as its own user (it cannot chmod the volume root). */}}
{{- $_ = set $cfg "data_dir" "/var/lib/talosctl-oidc/state" }}
{{- $_ = set $cfg "audit_log" $c.auditLog }}
{{- $_ = set $cfg "issuer_backend" (ternary "talos_api" "local_ca" .Values.talosApi.enabled) }}
{{- if and .Values.talosApi.enabled .Values.talosApi.endpoints }}{{ $_ = set $cfg "talos_api_endpoints" .Values.talosApi.endpoints }}{{ end }}
{{- if $c.nodes }}{{ $_ = set $cfg "nodes" $c.nodes }}{{ end }}
{{- if $c.roles }}{{ $_ = set $cfg "roles" $c.roles }}{{ end }}
{{- if $c.rbac.rules }}{{ $_ = set $cfg "rbac" (dict "rules" $c.rbac.rules) }}{{ end }}
{{- /* Always written: 0 turns the per-IP limit off on purpose, and the server's default is not 0. */}}
{{- $_ = set $cfg "rate_limit_requests" (int $c.rateLimit.requests) }}
{{- $_ = set $cfg "rate_limit_window" $c.rateLimit.window }}
{{- if $c.rateLimit.perSubject }}{{ $_ = set $cfg "rate_limit_per_subject" $c.rateLimit.perSubject }}{{ end }}
{{- if $c.ipAllowlist }}{{ $_ = set $cfg "ip_allowlist" $c.ipAllowlist }}{{ end }}
{{- if $c.trustedProxies }}{{ $_ = set $cfg "trusted_proxies" $c.trustedProxies }}{{ end }}
{{- if $c.workers }}{{ $_ = set $cfg "workers" (toString $c.workers) }}{{ end }}
{{- with .Values.stateStore }}
{{- if .url }}
{{- $_ = set $cfg "state_store" .url }}
{{- if .existingSecret }}{{ $_ = set $cfg "state_store_password_file" "/etc/talosctl-oidc/state-store/password" }}{{ end }}
{{- if .failOpen }}{{ $_ = set $cfg "state_store_fail_open" true }}{{ end }}
{{- end }}
{{- end }}
{{- if eq .Values.tls.mode "insecure" }}
{{- $_ = set $cfg "insecure" true }}
{{- else if eq .Values.tls.mode "secret" }}
{{- $_ = set $cfg "tls_cert" "/etc/talosctl-oidc/tls/tls.crt" }}
{{- $_ = set $cfg "tls_key" "/etc/talosctl-oidc/tls/tls.key" }}
{{- else }}
{{- $san := list $fullname (printf "%s.%s" $fullname .Release.Namespace) (printf "%s.%s.svc" $fullname .Release.Namespace) }}
{{- if .Values.ingress.enabled }}{{ range .Values.ingress.hosts }}{{ $san = append $san .host }}{{ end }}{{ end }}
{{- $_ = set $cfg "tls_san" (concat $san .Values.tls.san | uniq) }}
{{- end }}
{{- toYaml (merge (deepCopy $c.extra) $cfg) }}
{{- end }}
