# jit-access: the vendor's OS user, at grant (unlock) and at revoke (lock). Run as root by the SSM agent through the
# stack's OS-account Command document, which sets ACTION, OS_USER and BLOCK_IMDS from its checked parameters.
set -euo pipefail

readonly MIN_UID=1000
readonly NOBODY_UID=65534
readonly IMDS_ADDRESS=169.254.169.254
readonly KILL_ROUNDS=10

refuse() {
  echo "jit-access: refused: $*" >&2
  exit 2
}

# The document's allowedValues and allowedPattern already hold these; checked again because this script is the last
# line before root acts on a user.
case "${ACTION:-}" in lock | unlock) ;; *) refuse "ACTION must be lock or unlock" ;; esac
[[ "${OS_USER:-}" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || refuse "OS_USER must be a plain Linux user name"
case "${BLOCK_IMDS:-false}" in true | false) ;; *) refuse "BLOCK_IMDS must be true or false" ;; esac
[[ "$OS_USER" != root ]] || refuse "root is never a vendor user"

if ! uid="$(id -u -- "$OS_USER" 2>/dev/null)"; then
  if [[ "$ACTION" == lock ]]; then
    # Nothing can run as a user that does not exist: locking it is already true.
    echo "jit-access: no user $OS_USER on this instance: nothing to lock"
    exit 0
  fi
  echo "jit-access: no user $OS_USER on this instance: create it (locked, uid >= $MIN_UID) before granting" >&2
  exit 1
fi
# System accounts run the instance itself; killing their processes or locking them would break it.
((uid >= MIN_UID && uid != NOBODY_UID)) || refuse "$OS_USER has uid $uid: only a regular user (uid >= $MIN_UID) is ever locked or unlocked"

imds_rule=(OUTPUT -d "$IMDS_ADDRESS" -m owner --uid-owner "$uid" -m comment --comment jit-access -j REJECT)

unlock() {
  # The password stays locked: Session Manager's Run As never uses it. Only the expiry set at lock is cleared.
  chage -E -1 -- "$OS_USER"
  if [[ "$BLOCK_IMDS" == true ]]; then
    # The instance role's credentials are one HTTP call away from any local user: the vendor's user is kept off.
    iptables -C "${imds_rule[@]}" 2>/dev/null || iptables -I "${imds_rule[@]}"
  fi
  echo "jit-access: $OS_USER unlocked (instance metadata blocked: $BLOCK_IMDS)"
}

kill_everything() {
  # Killed more than once: a process may fork between the listing and the signal. By real and by effective uid, so
  # a process of the user running a setuid program dies too.
  for ((round = 1; round <= KILL_ROUNDS; round++)); do
    pkill -KILL -U "$uid" || true
    pkill -KILL -u "$uid" || true
    pgrep -U "$uid" >/dev/null || pgrep -u "$uid" >/dev/null || return 0
    sleep 1
  done
  echo "jit-access: processes of $OS_USER still run after $KILL_ROUNDS rounds of SIGKILL" >&2
  return 1
}

clear_keys() {
  local home
  home="$(getent passwd -- "$OS_USER" | cut -d: -f6)"
  [[ -n "$home" && -d "$home" ]] || return 0
  # The user's processes are dead, so nothing races these checks. A symlink is removed, never followed: a planted
  # ~/.ssh -> /root/.ssh must not make root empty its own keys.
  if [[ -L "$home/.ssh" ]]; then
    rm -f -- "$home/.ssh"
    return 0
  fi
  local keys
  for keys in "$home/.ssh/authorized_keys" "$home/.ssh/authorized_keys2"; do
    if [[ -L "$keys" ]]; then
      rm -f -- "$keys"
    elif [[ -f "$keys" ]]; then
      : >"$keys"
    fi
  done
}

lock() {
  # Locked and expired first: cron, at and sshd refuse an expired account, so nothing can start again meanwhile.
  usermod -L -e 1 -- "$OS_USER"
  if command -v loginctl >/dev/null; then
    loginctl disable-linger -- "$OS_USER"
    # Not logged in is not an error: there is nothing to end.
    loginctl terminate-user -- "$OS_USER" 2>/dev/null || true
  fi
  if crontab -l -u "$OS_USER" >/dev/null 2>&1; then crontab -r -u "$OS_USER"; fi
  if command -v atq >/dev/null; then
    atq | awk -v user="$OS_USER" '$NF == user { print $1 }' | xargs -r atrm
  fi
  kill_everything
  clear_keys
  if command -v iptables >/dev/null; then
    while iptables -C "${imds_rule[@]}" 2>/dev/null; do iptables -D "${imds_rule[@]}"; done
  fi
  echo "jit-access: $OS_USER locked (processes killed, crontab removed, linger disabled, authorized_keys cleared, account locked and expired)"
}

"$ACTION"
