{{- define "auditrelay.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "auditrelay.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "auditrelay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "auditrelay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "auditrelay.labels" -}}
{{ include "auditrelay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "auditrelay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "auditrelay.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The default config for the mode. */}}
{{- define "auditrelay.defaultConfig" -}}
data_dir: /var/lib/auditrelay
server:
  listen: 0.0.0.0:{{ .Values.server.port }}
inputs:
{{- if eq .Values.mode "daemonset" }}
  - name: coder-pods
    type: file
    paths: ["/var/log/containers/*.log"]
    format: cri
    include_namespaces: {{ toJson .Values.daemonset.namespaces }}
    include_pods: {{ toJson .Values.daemonset.pods }}
{{- if .Values.daemonset.journal.enabled }}
  - name: node-journal
    type: journald
    units: {{ toJson .Values.daemonset.journal.units }}
{{- end }}
{{- else }}
  - name: coderd
    type: file
    paths: ["{{ .Values.sidecar.logDir }}/*.json"]
    format: slog_json
{{- end }}
transforms:
  alerts: {builtin: true}
outputs:
{{ toYaml .Values.outputs | indent 2 }}
{{- end -}}

{{/* Environment of the agent container: plain values and Secret references. */}}
{{- define "auditrelay.env" -}}
{{- with .Values.env }}
{{ toYaml . }}
{{- end }}
{{- range $name, $ref := .Values.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}

{{/* The DaemonSet's init container: the kubelet creates the data directory on the node root:root
0755 (hostPath, DirectoryOrCreate; fsGroup does not apply), and the agent runs as 10001. This
makes that one directory 10001:10001 0700 (same uid and gid as in auditrelay.container), not
recursively, so nothing the agent left inside is followed. Root, but only CAP_CHOWN (chown) and
CAP_FOWNER (chmod of a directory root no longer owns, on every later start). */}}
{{- define "auditrelay.dataDirInit" -}}
name: data-dir-owner
image: "{{ .Values.daemonset.dataDirInit.image.repository }}:{{ .Values.daemonset.dataDirInit.image.tag }}"
imagePullPolicy: {{ .Values.daemonset.dataDirInit.image.pullPolicy }}
command:
  - sh
  - -c
  - chown 10001:10001 /var/lib/auditrelay && chmod 0700 /var/lib/auditrelay && ls -ldn /var/lib/auditrelay
resources:
{{ toYaml .Values.daemonset.dataDirInit.resources | indent 2 }}
securityContext:
  runAsUser: 0
  runAsGroup: 0
  runAsNonRoot: false
  privileged: false
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL], add: [CHOWN, FOWNER]}
  seccompProfile: {type: RuntimeDefault}
volumeMounts:
  - name: data
    mountPath: /var/lib/auditrelay
{{- end -}}

{{/* The agent container; the DaemonSet uses it, and NOTES print it for the sidecar mode. */}}
{{- define "auditrelay.container" -}}
name: auditrelay
image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
imagePullPolicy: {{ .Values.image.pullPolicy }}
args: ["run", "--config", "/etc/auditrelay/auditrelay.yaml", "--log-format", "json"]
{{- $env := include "auditrelay.env" . | trim }}
{{- if $env }}
env:
{{ $env | indent 2 }}
{{- end }}
ports:
  - name: metrics
    containerPort: {{ .Values.server.port }}
livenessProbe:
  httpGet: {path: /healthz, port: metrics}
  periodSeconds: 10
readinessProbe:
  httpGet: {path: /readyz, port: metrics}
  periodSeconds: 10
resources:
{{ toYaml .Values.resources | indent 2 }}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities: {drop: [ALL]}
  seccompProfile: {type: RuntimeDefault}
volumeMounts:
  - name: config
    mountPath: /etc/auditrelay
    readOnly: true
  - name: data
    mountPath: /var/lib/auditrelay
{{- if eq .Values.mode "daemonset" }}
  - name: varlog
    mountPath: /var/log
    readOnly: true
{{- if .Values.daemonset.journal.enabled }}
  - name: journal-persistent
    mountPath: /var/log/journal
    readOnly: true
  - name: journal-runtime
    mountPath: /run/log/journal
    readOnly: true
{{- end }}
{{- else }}
  - name: {{ .Values.sidecar.volumeName }}
    mountPath: {{ .Values.sidecar.logDir }}
    readOnly: true
{{- end }}
{{- end -}}
