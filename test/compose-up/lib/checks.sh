# shellcheck shell=bash
# What test/compose-up/run.sh checks on the running stack (sourced): the VIP,
# every route through it, the WordPress install, the entrance, replication,
# the shared volume and a load balancer failover.

FAILOVER_REQUESTS=150
# The entrance's port on the Docker host when HACOMPILE_HTTP_PORT is unset (compose.yaml's default).
ENTRANCE_PORT=8080

# curl from the client container with Host: the site's domain; bounded per request.
client_curl() {
  timeout 30 docker exec -i "$CLIENT" curl -sS --max-time 20 -H "Host: $DOMAIN" "$@"
}

# Parts of a `curl -i` response.
header() {
  printf '%s\n' "$1" | tr -d '\r' | sed -n "1,/^\$/p" | grep -i "^$2:" | head -n 1 | sed -E 's/^[^:]+:[[:space:]]*//'
}

status_of() {
  printf '%s\n' "$1" | head -n 1 | awk '{print $2}'
}

body_of() {
  printf '%s\n' "$1" | tr -d '\r' | sed '1,/^$/d'
}

random_token() {
  echo "$1$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
}

has_vip() {
  contains "$(in_svc "$1" ip -4 -o addr show 2>/dev/null)" " $VIP/"
}

# The load balancers holding the VIP now.
vip_holders() {
  local lb out=()
  for lb in "${LBS[@]}"; do
    has_vip "$lb" && out+=("$lb")
  done
  echo "${out[*]}"
}

check_vip() {
  local holders
  for _ in $(seq 1 20); do
    holders=$(vip_holders)
    [ "$holders" = "${LBS[0]}" ] && break
    sleep 0.5
  done
  if [ "$holders" = "${LBS[0]}" ]; then
    ok "VIP $VIP on ${LBS[0]} only (the preferred load balancer)"
  else
    bad "VIP $VIP on '${holders:-nobody}', expected ${LBS[0]} only"
  fi
}

# GET through the VIP until every member of the pool answered (bounded); each
# answer: 200, X-Served-By a member, and a body holding every given needle.
route_serves() {
  local path=$1 label=$2 members=$3
  shift 3
  local -A seen=()
  local -a m
  local i r st by body needle problem=
  read -r -a m <<<"$members"
  for i in $(seq 1 $((${#m[@]} * 8))); do
    if ! r=$(client_curl -i "http://$VIP$path"); then
      problem="request $i failed"
      break
    fi
    st=$(status_of "$r")
    by=$(header "$r" X-Served-By)
    if [ "$st" != 200 ]; then
      problem="request $i: HTTP $st from ${by:-?}"
      break
    fi
    if ! in_list "$by" "${m[@]}"; then
      problem="request $i: X-Served-By '$by' is not a member of the pool"
      break
    fi
    body=$(body_of "$r")
    for needle in "$@"; do
      if ! contains "$body" "$needle"; then
        problem="request $i: the page from $by lacks '$needle'"
        break 2
      fi
    done
    seen[$by]=1
    [ "${#seen[@]}" -eq "${#m[@]}" ] && break
  done
  if [ -z "$problem" ] && [ "${#seen[@]}" -ne "${#m[@]}" ]; then problem="only ${!seen[*]} answered in $i requests"; fi
  if [ -n "$problem" ]; then
    bad "route $path ($label): $problem"
    return 1
  fi
  ok "route $path ($label): 200 from ${!seen[*]} through the VIP, with the expected content"
}

# The site was installed when its first host started (hacompile-wp-install):
# the route answers with the site, never a redirect to the installer.
wp_installed() {
  local path=${1%/} r st loc
  r=$(client_curl -i "http://$VIP$path/")
  st=$(status_of "$r")
  loc=$(header "$r" Location)
  if [ "$st" = 302 ] && contains "$loc" "wp-admin/install.php"; then
    bad "route $path/: 302 to the installer: the site was not installed at first boot"
    return 1
  fi
  ok "route $path/: installed at first boot (HTTP $st from $(header "$r" X-Served-By))"
}

check_routes() {
  local line path pool app members
  for line in "${ROUTES[@]}"; do
    read -r path pool app members <<<"$line"
    case $app in
    wordpress)
      wp_installed "$path" || continue
      # The site's own page, not the installer: the theme's markup and the site title.
      route_serves "${path%/}/" "pool $pool, wordpress" "$members" "<title>" "$TITLE" "wp-content/themes/"
      ;;
    static) route_serves "$path" "pool $pool, static" "$members" "<title>" "$TITLE" ;;
    *) route_serves "$path" "pool $pool, $app" "$members" ;;
    esac
  done
}

# The path and members of the default route ("/"), or of the first route.
default_route() {
  local line path pool app members
  for line in "${ROUTES[@]}"; do
    read -r path pool app members <<<"$line"
    if [ "$path" = / ]; then
      echo "$line"
      return 0
    fi
  done
  echo "${ROUTES[0]}"
}

# `--profile entrance` as the compose file's header tells users: the site on
# 127.0.0.1:ENTRANCE_PORT of the Docker host (here: the engine's namespace).
check_entrance() {
  local t r st by path pool app members
  in_list entrance "${PROFILES[@]}" || return 0
  read -r path pool app members <<<"$(default_route)"
  t=$(now_us)
  if ! timeout 300 docker-compose --ansi never --project-directory "$COMPOSE_DIR" -f "$COMPOSE_DIR/compose.yaml" \
    --profile entrance up -d --no-build >"$LOGS/entrance.log" 2>&1; then
    bad "docker-compose --profile entrance up -d"
    show_log "$LOGS/entrance.log"
    return 1
  fi
  for _ in $(seq 1 30); do
    r=$(nsenter --net="/run/netns/$NS" curl -sS -i --max-time 5 -H "Host: $DOMAIN" "http://127.0.0.1:$ENTRANCE_PORT$path" 2>&1)
    st=$(status_of "$r")
    [ "$st" = 200 ] && break
    sleep 1
  done
  by=$(header "$r" X-Served-By)
  # The Docker host is the internet here: no host names, no installer.
  if [ "$st" = 200 ] && [ -z "$by" ]; then
    ok "entrance: 127.0.0.1:$ENTRANCE_PORT$path on the Docker host answered, without X-Served-By ($(since "$t") s)"
  else
    bad "entrance: 127.0.0.1:$ENTRANCE_PORT$path on the Docker host: HTTP ${st:-none}, X-Served-By '${by}' (expected 200 and none)"
  fi
  local line
  for line in "${ROUTES[@]}"; do
    read -r path pool app members <<<"$line"
    [ "$app" = wordpress ] || continue
    r=$(nsenter --net="/run/netns/$NS" curl -sS -i --max-time 5 -H "Host: $DOMAIN" "http://127.0.0.1:$ENTRANCE_PORT${path%/}/wp-admin/install.php" 2>&1)
    st=$(status_of "$r")
    if [ "$st" = 403 ]; then
      ok "entrance: ${path%/}/wp-admin/install.php refused (403) from outside the admin network"
    else
      bad "entrance: ${path%/}/wp-admin/install.php answered HTTP ${st:-none} outside the admin network, expected 403"
    fi
  done
}

check_databases() {
  local line name engine schema primary replicas r token pos t got blogname
  for line in "${DATABASES[@]}"; do
    read -r name engine schema primary replicas <<<"$line"
    if [ "$engine" != mariadb ]; then
      note "database $name: $engine is not exercised here (MariaDB only)"
      continue
    fi
    token=$(random_token t)
    t=$(now_us)
    pos=$(in_svc "$primary" mariadb -N -B -e "CREATE DATABASE IF NOT EXISTS hacompile_compose_up;
      CREATE TABLE IF NOT EXISTS hacompile_compose_up.probe (token VARCHAR(40) PRIMARY KEY);
      INSERT INTO hacompile_compose_up.probe VALUES ('$token');
      SELECT @@gtid_binlog_pos;" 2>&1 | tail -n 1)
    if ! [[ $pos =~ ^[0-9-]+(,[0-9-]+)*$ ]]; then
      bad "database $name: write on the primary $primary: $pos"
      continue
    fi
    for r in $replicas; do
      got=$(in_svc "$r" mariadb -N -B -e "SELECT MASTER_GTID_WAIT('$pos', 20);
        SELECT token FROM hacompile_compose_up.probe WHERE token = '$token';" 2>&1 | tr '\n' ' ')
      if [ "$got" = "0 $token " ]; then
        ok "database $name: a row written on $primary is read on $r ($(since "$t") s)"
      else
        bad "database $name: the row written on $primary is not on $r: $got"
      fi
      # The site WordPress installed through the VIP, on the replica (whatever the table prefix).
      blogname=$(in_svc "$r" mariadb -N -B -e "SELECT CONCAT('SELECT option_value FROM \`$schema\`.\`', table_name, '\` WHERE option_name = ''blogname''')
        FROM information_schema.tables WHERE table_schema = '$schema' AND table_name LIKE '%options' LIMIT 1" 2>/dev/null |
        in_svc_stdin "$r" mariadb -N -B 2>/dev/null)
      [ -n "$blogname" ] || continue
      if [ "$blogname" = "$TITLE" ]; then
        ok "database $name: the WordPress site ('$blogname') is on $r"
      else
        bad "database $name: blogname on $r is '$blogname', expected '$TITLE'"
      fi
    done
  done
}

check_volumes() {
  local line name mount url clients first other token got r by
  local -a c
  local -A seen
  for line in "${VOLUMES[@]}"; do
    read -r name mount url clients <<<"$line"
    read -r -a c <<<"$clients"
    first=${c[0]}
    token=$(random_token hcu-)
    if ! in_svc "$first" sh -c "printf '%s' '$token' > '$mount/$token.txt'"; then
      bad "volume $name: write $mount/$token.txt on $first"
      continue
    fi
    for other in "${c[@]:1}"; do
      got=$(in_svc "$other" cat "$mount/$token.txt" 2>&1)
      if [ "$got" = "$token" ]; then
        ok "volume $name: a file written on $first is read on $other ($mount)"
      else
        bad "volume $name: the file written on $first reads '$got' on $other"
      fi
    done
    [ "$url" = - ] && continue
    seen=()
    for _ in $(seq 1 $((${#c[@]} * 8))); do
      r=$(client_curl -i "http://$VIP$url/$token.txt") || break
      by=$(header "$r" X-Served-By)
      [ "$(status_of "$r")" = 200 ] && [ "$(body_of "$r")" = "$token" ] && seen[$by]=1
      [ "${#seen[@]}" -ge "${#c[@]}" ] && break
    done
    if [ "${#seen[@]}" -ge "${#c[@]}" ]; then
      ok "volume $name: the file is served at $url/ through the VIP by ${!seen[*]}"
    else
      bad "volume $name: $url/$token.txt through the VIP served correctly only by '${!seen[*]}'"
    fi
  done
}

# Stops the container holding the VIP while the client requests the default
# route in a loop: the VIP moves to another load balancer and requests go on.
check_failover() {
  local active t moved_at next lb stopper stopped_in loop failures total tail_bad path pool app members line st
  local -a others=() broken=()
  active=$(vip_holders)
  if [ "${#LBS[@]}" -lt 2 ] || [ -z "$active" ] || contains "$active" " "; then
    bad "failover: needs one VIP holder among ${#LBS[@]} load balancers, have '$active'"
    return 1
  fi
  for lb in "${LBS[@]}"; do [ "$lb" = "$active" ] || others+=("$lb"); done
  read -r path pool app members <<<"$(default_route)"
  # A bounded loop in the client: FAILOVER_REQUESTS requests, each at most 2 s, 50 ms apart.
  timeout 30 docker exec -d "$CLIENT" sh -c "i=0; while [ \$i -lt $FAILOVER_REQUESTS ]; do i=\$((i+1)); \
    if curl -fsS -o /dev/null --max-time 2 -H 'Host: $DOMAIN' 'http://$VIP$path'; then echo \"\$i ok\"; else echo \"\$i fail\"; fi; \
    sleep 0.05; done > /tmp/failover.log 2>/dev/null; echo done >> /tmp/failover.log"
  sleep 2
  t=$(now_us)
  timeout 60 docker stop "$(cid "$active")" >"$LOGS/stop.log" 2>&1 &
  stopper=$!
  # Poll the others while the stop runs (each poll is a docker exec: 0.1 to 1 s).
  next=
  for _ in $(seq 1 120); do
    for lb in "${others[@]}"; do
      if has_vip "$lb"; then
        next=$lb
        moved_at=$(since "$t")
        break 2
      fi
    done
    sleep 0.25
  done
  if wait "$stopper"; then stopped_in="docker stop took $(since "$t") s"; else stopped_in="docker stop failed"; fi
  if [ -z "$next" ]; then
    bad "failover: the VIP did not reach ${others[*]} after stopping $active ($stopped_in)"
    return 1
  fi
  ok "failover: VIP moved from $active to $next, seen there $moved_at s after docker stop began ($stopped_in)"
  for _ in $(seq 1 60); do
    timeout 10 docker exec "$CLIENT" grep -q '^done' /tmp/failover.log && break
    sleep 1
  done
  loop=$(timeout 10 docker exec "$CLIENT" cat /tmp/failover.log 2>/dev/null)
  total=$(grep -cE '^[0-9]+ (ok|fail)$' <<<"$loop")
  failures=$(grep -c ' fail$' <<<"$loop")
  tail_bad=$(grep -E '^[0-9]+ (ok|fail)$' <<<"$loop" | tail -n 20 | grep -c ' fail$')
  # A request in flight may break when the VIP's MAC address changes under it;
  # after the move every request must succeed.
  if [ "$total" -eq "$FAILOVER_REQUESTS" ] && [ "$failures" -le 3 ] && [ "$tail_bad" -eq 0 ]; then
    ok "failover: requests to $path went on: $((total - failures)) of $total answered, $failures failed at the switch"
  else
    bad "failover: $failures of $total requests to $path failed ($tail_bad among the last 20)"
    grep ' fail$' <<<"$loop" | head -n 10 | sed 's/^/      | /'
  fi
  for line in "${ROUTES[@]}"; do
    read -r path pool app members <<<"$line"
    st=$(status_of "$(client_curl -i "http://$VIP${path%/}/")")
    [ "$st" = 200 ] || broken+=("$path:${st:-none}")
  done
  if [ "${#broken[@]}" -eq 0 ]; then
    ok "failover: every route answers 200 through $next"
  else
    bad "failover: routes not answering through $next: ${broken[*]}"
  fi
}
