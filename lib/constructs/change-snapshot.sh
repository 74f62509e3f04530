# jit-access: the configuration snapshot ("what the vendor changed"). Run as root by the SSM agent as a step of the
# stack's OS-account Command document: before the unlock (phase start) and after the lock (phase end). The document
# sets ACTION, SNAPSHOT_PHASE, SNAPSHOT_ON (the action this step snapshots), SNAPSHOT_TIME_LIMIT_SECONDS and
# SNAPSHOT_DIRECTORIES (from the changeTracking config, checked at synth). It writes one JSON document to stdout, which the agent uploads to the
# evidence bucket. It always exits 0, so that a snapshot never fails the lock: a failed snapshot is a JSON document
# with "status":"failed" and the reason, and the ssm adapter counts it (metric SnapshotFailed).
# No -e and no -u: the script must reach its JSON and exit 0 whatever fails (bash 4.2 calls an empty array unbound).
set -o pipefail

readonly SCHEMA_VERSION=1
# Below the step's own timeout: a snapshot that hangs is ended here and recorded as failed, never left to SSM, which
# would mark the whole command (the lock) TimedOut.
readonly TIME_LIMIT_SECONDS="${SNAPSHOT_TIME_LIMIT_SECONDS:-60}"
readonly MAX_FILES=50000
# Only tests set it: where the instance's / is.
export SNAPSHOT_ROOT="${SNAPSHOT_ROOT:-}"

# An awk function that writes a string as JSON: quotes and backslashes escaped, a tab as \t, other control
# characters dropped. Character by character, as awks differ on backslashes in gsub replacements.
readonly AWK_JSON_STRING='
  function esc(s,   out, i, c) {
    if (s !~ /["\\\001-\037]/) return "\"" s "\""
    out = ""
    for (i = 1; i <= length(s); i++) {
      c = substr(s, i, 1)
      if (c == "\"" || c == "\\") out = out "\\" c
      else if (c == "\t") out = out "\\t"
      else if (c !~ /[\001-\037]/) out = out c
    }
    return "\"" out "\""
  }'

json_string() {
  awk "$AWK_JSON_STRING"' BEGIN { s = ARGV[1]; ARGV[1] = ""; printf "%s", esc(s) }' "$1"
}

failed() {
  printf '{"schemaVersion":%d,"status":"failed","phase":"%s","takenAt":"%s","reason":%s}\n' \
    "$SCHEMA_VERSION" "$SNAPSHOT_PHASE" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(json_string "$1")"
  echo "jit-access: snapshot failed: $1" >&2
  exit 0
}

case "${SNAPSHOT_PHASE:-}" in start | end) ;; *)
  SNAPSHOT_PHASE=end
  failed "SNAPSHOT_PHASE must be start or end"
  ;;
esac
# Each action takes its own phase's snapshot only: the unlock's start, the lock's end.
[[ "${ACTION:-}" == "${SNAPSHOT_ON:-}" ]] || exit 0
[[ "$TIME_LIMIT_SECONDS" =~ ^[1-9][0-9]{0,3}$ ]] || failed "SNAPSHOT_TIME_LIMIT_SECONDS must be 1-9999"
for dir in "${SNAPSHOT_DIRECTORIES[@]}"; do
  [[ "$dir" =~ ^(/[A-Za-z0-9._@+-]+)+/?$ && "/$dir/" != *"/../"* ]] ||
    failed "directory $dir is not a plain absolute path: fix changeTracking.directories"
done

# Reads "value<TAB>key" lines (the key last: a file name may hold a tab); writes a JSON object, keys sorted, the
# values of a repeated key joined by ", ".
json_map() {
  awk '{ tab = index($0, "\t"); if (tab) print substr($0, tab + 1) "\t" substr($0, 1, tab - 1) }' "$1" |
    LC_ALL=C sort | awk "$AWK_JSON_STRING"'
    { tab = 0; for (i = length($0); i > 0; i--) if (substr($0, i, 1) == "\t") { tab = i; break } }
    tab <= 1 { next }
    { k = substr($0, 1, tab - 1); v = substr($0, tab + 1) }
    n && k == key { value = value ", " v; next }
    { if (n++) out = out esc(key) ":" esc(value) ","; key = k; value = v }
    END { if (n) out = out esc(key) ":" esc(value); printf "{%s}", out }'
}

# Reads one name a line; writes a sorted JSON array without repeats.
json_list() {
  LC_ALL=C sort -u "$1" | awk "$AWK_JSON_STRING"'
    $0 != "" { out = out (n++ ? "," : "") esc($0) }
    END { printf "[%s]", out }'
}

# "sha256<TAB>path" of every regular file under the given paths (those that exist), the root prefix taken off.
# sha256sum escapes a name holding a backslash or a newline (the line then starts with one): undone, a newline kept
# as the two characters \n so that each file stays one line.
checksums() {
  local existing=() path
  for path in "$@"; do [[ -e "$SNAPSHOT_ROOT$path" ]] && existing+=("$SNAPSHOT_ROOT$path"); done
  ((${#existing[@]} > 0)) || return 0
  find "${existing[@]}" -xdev -type f -print0 | xargs -0 -r sha256sum |
    awk -v root="$SNAPSHOT_ROOT" '
      function unescape(s,   out, i, c) {
        out = ""
        for (i = 1; i <= length(s); i++) {
          c = substr(s, i, 1)
          if (c == "\\" && i < length(s)) { i++; c = substr(s, i, 1); if (c == "n") c = "\\n" }
          out = out c
        }
        return out
      }
      { escaped = substr($0, 1, 1) == "\\"; line = escaped ? substr($0, 2) : $0
        path = substr(line, 67); if (escaped) path = unescape(path)
        if (root != "" && index(path, root) == 1) path = substr(path, length(root) + 1)
        print substr(line, 1, 64) "\t" path }'
}

stop() {
  echo "$1" >&2
  exit 3
}

collect() {
  set -o pipefail
  local out="$1"
  shift
  if command -v rpm >/dev/null; then
    rpm -qa --qf '%{VERSION}-%{RELEASE}.%{ARCH}\t%{NAME}\n' >"$out/packages" || stop "packages: rpm -qa failed"
  elif command -v dpkg-query >/dev/null; then
    dpkg-query -W -f '${Version}\t${Package}\n' >"$out/packages" || stop "packages: dpkg-query failed"
  else
    stop "packages: neither rpm nor dpkg-query is installed"
  fi
  command -v systemctl >/dev/null || stop "services: systemctl is not installed"
  systemctl list-units --type=service --state=running --no-legend --plain --no-pager |
    awk '{ print $1 }' >"$out/services" || stop "services: systemctl list-units failed"
  # Without their password fields: /etc/shadow and /etc/gshadow are never read.
  awk -F: '{ print "uid=" $3 " gid=" $4 " home=" $6 " shell=" $7 "\t" $1 }' "$SNAPSHOT_ROOT/etc/passwd" >"$out/users" ||
    stop "users: /etc/passwd is unreadable"
  awk -F: '{ print "gid=" $3 " members=" $4 "\t" $1 }' "$SNAPSHOT_ROOT/etc/group" >"$out/groups" ||
    stop "groups: /etc/group is unreadable"
  checksums /etc/sudoers /etc/sudoers.d >"$out/sudoers" || stop "sudoers: checksums failed"
  checksums /etc/crontab /etc/anacrontab /etc/cron.d /etc/cron.hourly /etc/cron.daily /etc/cron.weekly \
    /etc/cron.monthly /var/spool/cron >"$out/crontabs" || stop "crontabs: checksums failed"
  command -v ss >/dev/null || stop "listeningPorts: ss (iproute2) is not installed"
  # Protocol, local address and program: the pid changes with every restart, so it is left out.
  ss -lntup | awk 'NR > 1 { name = "-"; if (match($0, /users:\(\("[^"]+"/)) name = substr($0, RSTART + 9, RLENGTH - 10)
    print $1 " " $5 " " name }' >"$out/listeningPorts" || stop "listeningPorts: ss -lntup failed"
  checksums "$@" >"$out/files" || stop "files: checksums failed"
  local count
  count="$(wc -l <"$out/files")"
  ((count <= MAX_FILES)) ||
    stop "files: $count files under ${*} (at most $MAX_FILES): list narrower directories in changeTracking.directories"
}

work="$(mktemp -d)" || failed "no temporary directory"
trap 'rm -rf -- "$work"' EXIT
export -f collect checksums stop
export MAX_FILES
timeout --kill-after=5 "$TIME_LIMIT_SECONDS" bash -c 'collect "$@"' collect "$work" "${SNAPSHOT_DIRECTORIES[@]}" \
  2>"$work/error"
status=$?
if ((status == 124 || status == 137)); then
  failed "timed out after $TIME_LIMIT_SECONDS s"
elif ((status != 0)); then
  failed "$(tail -n 1 "$work/error")"
fi

printf '{"schemaVersion":%d,"status":"ok","phase":"%s","takenAt":"%s"' \
  "$SCHEMA_VERSION" "$SNAPSHOT_PHASE" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
[[ -z "${AWS_SSM_INSTANCE_ID:-}" ]] || printf ',"instanceId":%s' "$(json_string "$AWS_SSM_INSTANCE_ID")"
for category in packages users groups sudoers crontabs files; do
  printf ',"%s":' "$category"
  json_map "$work/$category"
done
for category in services listeningPorts; do
  printf ',"%s":' "$category"
  json_list "$work/$category"
done
printf '}\n'
