# shellcheck shell=bash
# The images of test/compose-up/run.sh (sourced): a debian:bookworm-slim
# stand-in made with debootstrap, then every image the compose file names,
# built from its generated Dockerfile through the proxy relay (engine.sh).
# The cache folder keeps the base root file system and each built image
# (`docker save`), keyed by sha256 of what made them, between runs.

SUITE=bookworm
BASE_IMAGE=debian:bookworm-slim
# Bump when the base recipe below changes: cached bases and images made from an older one are not reused.
BASE_RECIPE=1
BUILD_JOBS=2

BASE_KEY=
BASE_READY=0
declare -a USED_CACHE=()

base_key() {
  BASE_KEY=$(printf 'recipe %s\nsuite %s\n' "$BASE_RECIPE" "$SUITE" | cat - "$DEBIAN_SOURCES" | sha256sum | cut -c1-16)
}

# What debian:bookworm-slim is: Debian minbase without docs, man pages and
# translations (the official image's dpkg and apt settings), here with the
# machine's own Debian sources.
make_base_rootfs() {
  local root=$1 mirror
  mirror=$(awk '/^URIs:/ { print $2; exit }' "$DEBIAN_SOURCES")
  [ -n "$mirror" ] || return 1
  debootstrap --variant=minbase "$SUITE" "$root" "$mirror" || return 1
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'CONF'
# As in the debian:*-slim images: files containers do not need.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CONF
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/* "$root"/usr/share/groff/*
  rm -f "$root/etc/apt/sources.list"
  cp "$DEBIAN_SOURCES" "$root/etc/apt/sources.list.d/debian.sources"
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

ensure_base() {
  [ "$BASE_READY" = 1 ] && return 0
  local t tar root
  t=$(now_us)
  tar=$CACHE/base-$BASE_KEY.tar
  if [ ! -s "$tar" ]; then
    root=$WORK/rootfs
    if ! make_base_rootfs "$root" >"$LOGS/debootstrap.log" 2>&1; then
      bad "$BASE_IMAGE stand-in: debootstrap $SUITE"
      show_log "$LOGS/debootstrap.log"
      return 1
    fi
    mkdir -p "$CACHE"
    tar -C "$root" -cf "$tar.tmp.$$" . && mv "$tar.tmp.$$" "$tar"
    rm -rf "$root"
    note "debootstrap $SUITE minbase: $(since "$t") s"
  fi
  if ! docker import - "$BASE_IMAGE" <"$tar" >"$LOGS/import.log" 2>&1; then
    bad "$BASE_IMAGE stand-in: docker import"
    show_log "$LOGS/import.log"
    rm -f "$tar"
    return 1
  fi
  BASE_READY=1
  ok "$BASE_IMAGE stand-in ($SUITE minbase, slim settings; $(since "$t") s)"
}

# An image's cache file: keyed by its Dockerfile and the base it is built on.
image_tar() {
  echo "$CACHE/image-$(cat "$COMPOSE_DIR/$1/Dockerfile" - <<<"base $BASE_KEY" | sha256sum | cut -c1-16).tar"
}

image_log() {
  echo "$LOGS/image-${1//[^A-Za-z0-9]/_}.log"
}

# One image: loaded from the cache, or built through the proxy and then cached.
# Prints one line "<loaded|built|FAILED> <image> <seconds>".
one_image() {
  local image=$1 ctx=$2 tar t log tmp
  t=$(now_us)
  tar=$(image_tar "$ctx")
  log=$(image_log "$image")
  if [ -s "$tar" ]; then
    if docker load -i "$tar" >"$log" 2>&1; then
      echo "loaded $image $(since "$t")"
      return 0
    fi
    # A damaged cache file: the next run builds the image.
    rm -f "$tar"
    echo "FAILED $image $(since "$t")"
    return 1
  fi
  if docker build --network host --build-arg "http_proxy=http://127.0.0.1:$RELAY_PORT" -t "$image" "$COMPOSE_DIR/$ctx" >"$log" 2>&1; then
    mkdir -p "$CACHE"
    tmp=$tar.tmp.$$.$BASHPID
    docker save -o "$tmp" "$image" >>"$log" 2>&1 && mv "$tmp" "$tar"
    rm -f "$tmp"
    echo "built $image $(since "$t")"
    return 0
  fi
  echo "FAILED $image $(since "$t")"
  return 1
}

build_images() {
  local t image ctx tar missing=0 line word img secs j all=0
  local -a jobs=()
  t=$(now_us)
  base_key
  # Kept by the pruning even when every image came from the cache.
  USED_CACHE+=("$CACHE/base-$BASE_KEY.tar")
  for line in "${IMAGES[@]}"; do
    read -r image ctx <<<"$line"
    tar=$(image_tar "$ctx")
    USED_CACHE+=("$tar")
    [ -s "$tar" ] || missing=1
  done
  if [ "${#IMAGES[@]}" -eq 0 ]; then
    bad "no image to build in $COMPOSE_DIR/compose.yaml"
    return 1
  fi
  # The base and the proxy only when something must be built.
  if [ "$missing" = 1 ]; then
    ensure_base || return 1
    start_proxy || return 1
  fi
  : >"$WORK/images.result"
  # BUILD_JOBS at a time, waiting on these pids only (the engine and the proxy are children too).
  for line in "${IMAGES[@]}"; do
    read -r image ctx <<<"$line"
    one_image "$image" "$ctx" >>"$WORK/images.result" &
    jobs+=("$!")
    while [ "${#jobs[@]}" -ge "$BUILD_JOBS" ]; do
      wait -n "${jobs[@]}"
      for j in "${!jobs[@]}"; do kill -0 "${jobs[$j]}" 2>/dev/null || unset "jobs[$j]"; done
      jobs=("${jobs[@]}")
    done
  done
  [ "${#jobs[@]}" -eq 0 ] || wait "${jobs[@]}"
  while read -r word img secs; do
    if [ "$word" = FAILED ]; then
      bad "image $img ($secs s)"
      show_log "$(image_log "$img")"
      all=1
    else
      ok "image $img ($word, $secs s)"
    fi
  done <"$WORK/images.result"
  note "images: $(since "$t") s"
  return "$all"
}

# Keeps the cache to what this run used: older bases and images go.
prune_cache() {
  local f
  [ -d "$CACHE" ] || return 0
  for f in "$CACHE"/base-*.tar "$CACHE"/image-*.tar; do
    [ -e "$f" ] || continue
    in_list "$f" "${USED_CACHE[@]}" || rm -f "$f"
  done
  # Leftovers of interrupted saves; a day old, so never those of a run going on now.
  find "$CACHE" -maxdepth 1 -name "*.tmp.*" -mmin +1440 -delete
}
