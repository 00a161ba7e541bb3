# shellcheck shell=bash
# Sourced by scripts/sam-local.sh (its settings, `die`): the local stand-in for SAM's
# provided.al2023 image, built from this machine's files.

# --- the local base image: provided.al2023 stood in for by the host's own files ----------------
# No registry needed. SAM derives its own image from it (FROM it, ADD aws-lambda-rie, RUN mv
# and chmod: hence a shell) and mounts the build at /var/task. What differs from AWS's image:
# the host's glibc (Debian 12: 2.36; AL2023: 2.34: a bootstrap needing a GLIBC_2.35+ symbol
# would run here and not on AWS), the host's static busybox as the only userland, and no dnf,
# Python or other runtime: a custom runtime needs none of them.
IMAGE_REPO=${IMAGE_REPO:-credvault-local/provided}
local_image() { echo "$IMAGE_REPO:al2023-$1"; }
# The image SAM 1.170 builds from an --invoke-image REPO:TAG is REPO:rapid-ARCH.
rapid_image() { echo "$IMAGE_REPO:rapid-$1"; }
triple_of() { if [[ $1 == arm64 ]]; then echo aarch64-linux-gnu; else echo x86_64-linux-gnu; fi; }
loader_of() { if [[ $1 == arm64 ]]; then echo /lib/ld-linux-aarch64.so.1; else echo /lib64/ld-linux-x86-64.so.2; fi; }
platform_of() { if [[ $1 == arm64 ]]; then echo linux/arm64; else echo linux/amd64; fi; }
debian_arch_of() { if [[ $1 == arm64 ]]; then echo arm64; else echo amd64; fi; }

# The architecture of an ELF file (x86_64, arm64, other), nothing for a file that is not ELF.
elf_arch() {
  [[ $(od -An -tx1 -N4 "$1" | tr -d ' \n') == 7f454c46 ]] || return 0
  case $(od -An -tx1 -j18 -N2 "$1" | tr -d ' \n') in
    3e00) echo x86_64 ;;
    b700) echo arm64 ;;
    *) echo other ;;
  esac
}

# glibc as a Rust binary links it (cargo lambda's included), whatever ldd finds: with it the
# image also serves the next build of the function.
BASE_LIBS="libc.so.6 libm.so.6 libgcc_s.so.1 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2"

# Prints "HOST-PATH IMAGE-PATH" for each library the image needs for ARCH: those the loader
# lists for BOOTSTRAP (if given), and the base set.
library_pairs() {
  local arch=$1 bootstrap=${2:-} loader dir lib path
  loader=$(loader_of "$arch")
  if [[ $arch == "$(host_arch)" ]]; then
    # The host's own libraries, at the paths the host has them (ldd's), so its loader finds them.
    dir=$(dirname "$(ldd "$(command -v env)" | awk '$1 == "libc.so.6" {print $3}')")
    {
      if [[ -n $bootstrap && -n $(elf_arch "$bootstrap") ]]; then
        ldd "$bootstrap" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
      fi
      for lib in $BASE_LIBS; do echo "$dir/$lib"; done
    } | sort -u | while read -r path; do
      if [[ -e $path ]]; then echo "$path $path"; fi
    done
    echo "$loader $loader"
  else
    # Another architecture's: Debian's cross packages, placed where that architecture's Debian
    # loader looks (/lib/TRIPLE), listed by that loader under qemu.
    dir=/usr/$(triple_of "$arch")/lib
    [[ -e $dir/libc.so.6 && -e $dir/libgcc_s.so.1 ]] ||
      die "no $arch libraries in $dir: apt-get install libc6-$(debian_arch_of "$arch")-cross libgcc-s1-$(debian_arch_of "$arch")-cross"
    {
      if [[ -n $bootstrap && -n $(elf_arch "$bootstrap") ]]; then
        "$dir/$(basename "$loader")" --library-path "$dir" --list "$bootstrap" |
          awk '$2 == "=>" && $3 ~ /^\// {print $3}'
      fi
      for lib in $BASE_LIBS; do echo "$dir/$lib"; done
    } | sort -u | while read -r path; do
      if [[ -e $path ]]; then echo "$path /lib/$(triple_of "$arch")/$(basename "$path")"; fi
    done
    echo "$dir/$(basename "$loader") $loader"
  fi
}

check_emulation() {
  local arch=$1
  [[ $arch == "$(host_arch)" ]] && return 0
  local name=qemu-aarch64
  [[ $arch == x86_64 ]] && name=qemu-x86_64
  [[ -e /proc/sys/fs/binfmt_misc/$name ]] || die "running $arch here needs qemu-user-static registered with binfmt_misc, F flag (no /proc/sys/fs/binfmt_misc/$name).
  Debian/Ubuntu: apt-get install qemu-user-static (its systemd-binfmt registers it); without systemd:
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    cat /usr/lib/binfmt.d/$name.conf > /proc/sys/fs/binfmt_misc/register"
}

# Builds (or reuses) the local base image for ARCH; BOOTSTRAP, if given, adds what it links.
build_local_image() {
  local arch=$1 bootstrap=${2:-} image pairs libs busybox ca root applet src dst path
  [[ $OS == Linux ]] || die "the local image is built from a Linux host's files; on $OS use IMAGE=official"
  image=$(local_image "$arch")
  check_emulation "$arch"
  pairs=$(library_pairs "$arch" "$bootstrap")
  libs=$(echo "$pairs" | awk '{n = split($2, p, "/"); print p[n]}' | sort -u | paste -sd, -)
  if [[ ${REBUILD_IMAGE:-0} != 1 ]] &&
    [[ $(docker image inspect -f '{{index .Config.Labels "credvault.libs"}}' "$image" 2>/dev/null) == "$libs" ]]; then
    echo "sam-local: base image $image is up to date"
    return 0
  fi
  busybox=$(command -v busybox) || die "busybox is missing: apt-get install busybox-static"
  if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is dynamically linked: apt-get install busybox-static"; fi
  ca=""
  for path in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    if [[ -e $path ]]; then ca=$path; break; fi
  done
  [[ -n $ca ]] || die "no CA bundle on the host: apt-get install ca-certificates"

  echo "sam-local: building $image from this host's files ($libs)"
  root=$(mktemp -d "${TMPDIR:-/tmp}/credvault-rootfs.XXXXXX")
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/pki/tls/certs,etc/ssl/certs,tmp,root,opt,lib,lib64}
  mkdir -p "$root"/var/{task,runtime,rapid}
  chmod 1777 "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  for applet in $("$busybox" --list); do
    if [[ ! -e $root/bin/$applet ]]; then ln -s busybox "$root/bin/$applet"; fi
  done
  while read -r src dst; do
    mkdir -p "$root$(dirname "$dst")"
    cp -L "$src" "$root$dst"
  done <<<"$pairs"
  # AL2023 keeps the bundle under /etc/pki; Debian-built code looks under /etc/ssl.
  cp -L "$ca" "$root/etc/pki/tls/certs/ca-bundle.crt"
  ln -s ../../pki/tls/certs/ca-bundle.crt "$root/etc/ssl/certs/ca-certificates.crt"
  ln -s ../../pki/tls/certs/ca-bundle.crt "$root/etc/ssl/certs/ca-bundle.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:993:990::/tmp:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nsbx_user1051:x:990:\nnobody:x:65534:\n' >"$root/etc/group"
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
  printf 'NAME="credvault local stand-in for provided.al2023"\nID=credvault-local\n' >"$root/etc/os-release"

  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
    docker import --platform "$(platform_of "$arch")" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib:/lib/$(triple_of "$arch")" \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
      --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
      --change 'WORKDIR /var/task' \
      --change "LABEL credvault.libs=$libs" \
      --change 'CMD ["/bin/sh"]' \
      - "$image" >/dev/null
  rm -rf "$root"
  # SAM builds its image once per name: drop the one made from the previous base.
  docker image rm "$(rapid_image "$arch")" >/dev/null 2>&1 || true

  [[ $(docker run --rm --network none "$image" /bin/sh -c 'echo ok') == ok ]] ||
    die "the new image $image does not run /bin/sh"
  docker run --rm --network none "$image" "$(loader_of "$arch")" --version | head -n 1 |
    sed 's/^/sam-local: the image runs its loader: /'
  echo "sam-local: built $image"
}

# Fails unless every library BOOTSTRAP needs resolves inside IMAGE.
check_image_serves() {
  local arch=$1 bootstrap=$2 image listing
  image=$(local_image "$arch")
  [[ -n $(elf_arch "$bootstrap") ]] || return 0
  listing=$(docker run --rm --network none -v "$(cd "$(dirname "$bootstrap")" && pwd)/$(basename "$bootstrap"):/var/task/bootstrap:ro" \
    "$image" "$(loader_of "$arch")" --list /var/task/bootstrap) || die "the image cannot load the bootstrap: $listing"
  if grep -q 'not found' <<<"$listing"; then die "the image lacks libraries the bootstrap needs: $listing"; fi
}
