# shellcheck shell=bash
# Reporting and small helpers of test/compose-up/run.sh (sourced).

now_us() { echo "${EPOCHREALTIME/./}"; }

# Seconds since a now_us value, one decimal.
since() {
  local d=$(($(now_us) - $1))
  printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000))
}

# One check each: the counts make the last line, "N passed, N failed".
ok() {
  passed=$((passed + 1))
  printf 'ok    %s\n' "$*"
}

bad() {
  failed=$((failed + 1))
  printf 'FAIL  %s\n' "$*"
}

note() {
  printf '      %s\n' "$*"
}

# The last lines of a log, indented, when a step failed.
show_log() {
  [ -s "$1" ] || return 0
  tail -n "${2:-25}" "$1" | sed 's/^/      | /'
}

# Whether a text holds a string. Not `... | grep -q`: grep stops at the first
# match, the writer gets SIGPIPE, and pipefail turns the match into a failure.
contains() { [[ $1 == *"$2"* ]]; }

in_list() {
  local x=$1 y
  shift
  for y in "$@"; do [ "$x" = "$y" ] && return 0; done
  return 1
}

# Whether something listens on a TCP port (here, or in the namespace given as $2).
listening() {
  local out
  if [ -n "${2:-}" ]; then out=$(nsenter --net="/run/netns/$2" ss -Hltn "sport = :$1"); else out=$(ss -Hltn "sport = :$1"); fi
  [ -n "$out" ]
}

# Stops a process this run started, by its pid: TERM, up to $2 seconds, then KILL.
# Returns non-zero when KILL was needed.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 $(($2 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
  fi
  wait "$pid" 2>/dev/null
  return 0
}
