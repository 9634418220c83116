{{/* Names and labels shared by every template. */}}
{{- define "wafproxy.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* name + instance: every object of the release; add a component to select pods. */}}
{{- define "wafproxy.baseLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The proxy pods (the release's Redis pods carry component: redis instead). */}}
{{- define "wafproxy.selectorLabels" -}}
{{ include "wafproxy.baseLabels" . }}
app.kubernetes.io/component: proxy
{{- end -}}

{{- define "wafproxy.labels" -}}
{{ include "wafproxy.baseLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The Redis URL comes from a Secret (external) or names this release's Redis Service. */}}
{{- define "wafproxy.redisEnv" -}}
{{- if .Values.redis.external.urlSecret }}
- name: WAFPROXY_REDIS
  valueFrom:
    secretKeyRef: {name: {{ .Values.redis.external.urlSecret | quote }}, key: {{ .Values.redis.external.urlKey | quote }}}
{{- else if .Values.redis.enabled }}
- name: WAFPROXY_REDIS
  value: {{ printf "redis://%s-redis:6379/0" (include "wafproxy.fullname" .) | quote }}
{{- end }}
{{- end -}}
