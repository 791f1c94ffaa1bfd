{{/* Names, labels and the per-service facts every template shares. */}}

{{- define "sigap.fullname" -}}
{{- if contains "sigap" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-sigap" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The four services with a database and Kafka; web has neither. */}}
{{- define "sigap.dataServices" -}}
intake routing status notify
{{- end -}}

{{- define "sigap.labels" -}}
app.kubernetes.io/name: sigap
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "name" "intake") */}}
{{- define "sigap.selector" -}}
app.kubernetes.io/name: sigap
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* The in-cluster URL of one service: (dict "root" $ "name" "status") */}}
{{- define "sigap.url" -}}
{{- $service := index .root.Values.services .name -}}
{{- printf "http://%s-%s:%v" (include "sigap.fullname" .root) .name $service.port -}}
{{- end -}}

{{/* The secrets each service reads, required ones first. Every one comes from the Secret. */}}
{{- define "sigap.requiredSecrets" -}}
{{- $common := list "SIGAP_PG_PASSWORD" "SIGAP_JWT_SECRET" "SIGAP_INTERNAL_TOKEN" -}}
{{- $own := dict
  "intake" (list "SIGAP_IDENTITY_KEY")
  "routing" (list)
  "status" (list)
  "notify" (list "SIGAP_WEBHOOK_SECRET_KEY")
  "web" (list) -}}
{{- if eq .name "web" -}}
{{- list "SIGAP_WEB_SESSION_SECRET" | toJson -}}
{{- else -}}
{{- concat $common (index $own .name) | toJson -}}
{{- end -}}
{{- end -}}

{{- define "sigap.optionalSecrets" -}}
{{- $optional := dict
  "intake" (list "SIGAP_S3_ACCESS_KEY_ID" "SIGAP_S3_SECRET_ACCESS_KEY" "SIGAP_OPEN311_API_KEYS")
  "routing" (list)
  "status" (list)
  "notify" (list "SIGAP_SMTP_PASSWORD" "SIGAP_SMS_GATEWAY_TOKEN" "SIGAP_WHATSAPP_GATEWAY_TOKEN" "SIGAP_VAPID_PRIVATE_KEY")
  "web" (list) -}}
{{- index $optional .name | toJson -}}
{{- end -}}
