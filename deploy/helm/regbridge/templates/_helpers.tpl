{{/* The release's object name. */}}
{{- define "regbridge.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select the pods. */}}
{{- define "regbridge.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "regbridge.labels" -}}
{{ include "regbridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The Secret holding the signing key. */}}
{{- define "regbridge.keySecret" -}}
{{- .Values.signingKey.existingSecret | default (printf "%s-key" (include "regbridge.fullname" .)) -}}
{{- end -}}

{{/* regbridge.yaml: the user's config with the settings the pod needs. */}}
{{- define "regbridge.config" -}}
{{- $owned := dict
  "listen" ":5001"
  "policy" "/etc/regbridge/policy.yaml"
  "keys" (list (dict "private_key" "/etc/regbridge-key/signing-key.pem" "certificate" "/etc/regbridge-key/signing-cert.pem"))
  "shutdown" (dict "drain" (printf "%ds" (int .Values.shutdown.drainSeconds)))
-}}
{{- $obs := deepCopy (.Values.config.observability | default dict) -}}
{{- $_ := set $obs "metrics_listen" (printf ":%d" (int .Values.metrics.port)) -}}
{{- $_ := set $owned "observability" $obs -}}
{{- toYaml (mergeOverwrite (deepCopy .Values.config) $owned) -}}
{{- end -}}
