#!/usr/bin/env bash
# `make sam-local`: the function as Lambda runs it, in SAM's emulation (`sam local start-api`
# in Docker), against moto on the host. `make dev` is quicker to work with; this one checks
# the template, the built bootstrap and the Lambda runtime interface together.
#
#   scripts/sam-local.sh          build, start, print how to call it; Ctrl-C stops it all
#   scripts/sam-local.sh check    the same, then the seed's curls and /mcp against it; stops
#   scripts/sam-local.sh image    only build the local base image (Linux)
#
# Settings (environment): ARCH (x86_64 or arm64; default the machine's own, so no emulation;
# arm64 on an x86_64 Linux runs under qemu-user-static), PORT (3000), EMULATOR_PORT (5055),
# IMAGE (local: a stand-in for provided.al2023 built here from the host's files, the default
# on Linux, needing no registry; official: SAM's public.ecr.aws image, the default on macOS),
# SAM_LOCAL_BUILD (1: `sam build`; 0: serve the build already in BUILD_DIR), BUILD_DIR
# (target/sam-local/ARCH), CREDVAULT_CLI (the operator CLI; default: cargo builds
# target/debug/credvault), MOTO_HOST (where moto listens: Linux, the docker0 bridge's address,
# which host.docker.internal:host-gateway names; macOS, 127.0.0.1, which Docker Desktop
# forwards host.docker.internal to), REBUILD_IMAGE=1, CREDVAULT_API_KEY and
# CREDVAULT_PLATFORM_KEY (as make dev), TABLE_NAME, KMS_ALIAS, RUST_LOG, LOG_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

MODE=${1:-run}
case $MODE in run | check | image) ;; *) echo "usage: scripts/sam-local.sh [run|check|image]" >&2; exit 2 ;; esac

die() { echo "sam-local: $*" >&2; exit 1; }

host_arch() {
  case $(uname -m) in
    x86_64 | amd64) echo x86_64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) uname -m ;;
  esac
}
OS=$(uname -s)
ARCH=${ARCH:-$(host_arch)}
case $ARCH in x86_64 | arm64) ;; *) die "ARCH must be x86_64 or arm64, not $ARCH" ;; esac
if [[ $OS == Darwin ]]; then IMAGE=${IMAGE:-official}; else IMAGE=${IMAGE:-local}; fi
PORT=${PORT:-3000}
EMULATOR_PORT=${EMULATOR_PORT:-5055}
TABLE_NAME=${TABLE_NAME:-credvault-dev}
KMS_ALIAS=${KMS_ALIAS:-alias/credvault-dev}
BUILD_DIR=${BUILD_DIR:-target/sam-local/$ARCH}
SAM=${SAM:-.venv-sam/bin/sam}
[[ -x $SAM ]] || SAM=$(command -v sam) || die "the SAM CLI is missing: make .venv-sam/.ready, or put sam on PATH"
export SAM_CLI_TELEMETRY=0

# The local base image (its functions): scripts/sam-local-image.sh.
source scripts/sam-local-image.sh
if [[ $MODE == image ]]; then
  bootstrap=$BUILD_DIR/build/ApiFunction/bootstrap
  [[ -f $bootstrap ]] || bootstrap=""
  build_local_image "$ARCH" "$bootstrap"
  exit 0
fi

# --- the build ----------------------------------------------------------------------------------
# The template's function is arm64, as deployed. For x86_64 (a quicker build and no emulation on
# an x86_64 machine) SAM builds from a copy that differs in the architecture alone (--base-dir
# keeps CodeUri on this tree); the template has no parameter for it (its checks pin arm64).
built_template=$BUILD_DIR/build/template.yaml
bootstrap=$BUILD_DIR/build/ApiFunction/bootstrap
# Docker first: the build takes minutes, and is no use without it.
command -v docker >/dev/null || die "Docker is needed (Debian: apt-get install docker.io; macOS: Docker Desktop)"
docker info >/dev/null 2>&1 ||
  die "Docker does not answer: start it (Linux: systemctl start docker, or dockerd as root; macOS: Docker Desktop)"
if [[ ${SAM_LOCAL_BUILD:-1} == 1 ]]; then
  mkdir -p "$BUILD_DIR"
  template=template.yaml
  if [[ $ARCH == x86_64 ]]; then
    template=$BUILD_DIR/template.yaml
    sed -e 's|^    Architectures: \[arm64\]$|    Architectures: [x86_64]|' template.yaml >"$template"
    grep -q '^    Architectures: \[x86_64\]$' "$template" ||
      die "template.yaml no longer has the line this script rewrites for x86_64 (Architectures: [arm64])"
  elif [[ $(host_arch) != arm64 ]] && command -v rustup >/dev/null; then
    rustup target list --installed | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
  fi
  echo "sam-local: sam build ($ARCH) into $BUILD_DIR/build"
  # cargo lambda and zig come from .venv (lib.sh put it first on PATH).
  "$SAM" build --template-file "$template" --base-dir "$PWD" --build-dir "$BUILD_DIR/build" --cache-dir "$BUILD_DIR/cache"
  # cargo lambda leaves its x86_64 bootstrap where `make package` and `cargo lambda deploy` look
  # for the arm64 one: SAM has its copy, so it goes.
  leftover=${CARGO_TARGET_DIR:-target}/lambda/credvault-api/bootstrap
  if [[ -f $leftover && $(elf_arch "$leftover") == x86_64 ]]; then rm -f "$leftover"; fi
fi
[[ -f $built_template && -f $bootstrap ]] || die "no build in $BUILD_DIR/build (run without SAM_LOCAL_BUILD=0)"
built_arch=$(elf_arch "$bootstrap")
if [[ -n $built_arch && $built_arch != "$ARCH" ]]; then
  die "$bootstrap is $built_arch, not $ARCH: rebuild, or set ARCH=$built_arch"
fi

image_args=()
case $IMAGE in
  local)
    build_local_image "$ARCH" "$bootstrap"
    check_image_serves "$ARCH" "$bootstrap"
    image_args=(--invoke-image "$(local_image "$ARCH")" --skip-pull-image)
    ;;
  official) ;; # SAM pulls public.ecr.aws/lambda/provided:al2023-ARCH
  *) image_args=(--invoke-image "$IMAGE" --skip-pull-image) ;;
esac

# --- moto, where the function's container reaches it ---------------------------------------------
# Linux: on the docker0 bridge's address, which --add-host host.docker.internal:host-gateway
# names inside the container; nothing else (not 0.0.0.0). macOS: Docker Desktop forwards
# host.docker.internal to the Mac's loopback, so moto stays on 127.0.0.1.
host_args=()
if [[ $OS == Linux ]]; then
  if [[ -z ${MOTO_HOST:-} ]]; then
    MOTO_HOST=$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null) ||
      die "docker does not answer (is dockerd running, and may this user use it?)"
    [[ -n $MOTO_HOST ]] || die "docker's bridge network has no gateway address: set MOTO_HOST to one the containers reach"
  fi
  host_args=(--add-host host.docker.internal:host-gateway)
else
  MOTO_HOST=${MOTO_HOST:-127.0.0.1}
fi
export_local_aws "$EMULATOR_PORT"
export AWS_ENDPOINT_URL="http://$MOTO_HOST:$EMULATOR_PORT" # for the CLI on the host
CONTAINER_ENDPOINT="http://host.docker.internal:$EMULATOR_PORT" # for the function

if port_in_use "$PORT"; then die "port $PORT on 127.0.0.1 is taken; set PORT to a free one"; fi
if port_in_use "$EMULATOR_PORT" "$MOTO_HOST"; then die "port $EMULATOR_PORT on $MOTO_HOST is taken; set EMULATOR_PORT"; fi

LOG_DIR=${LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/credvault-sam-local.XXXXXX")}
mkdir -p "$LOG_DIR"
moto_pid="" sam_pid=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # SAM stops its warm container when told to stop (SIGTERM), then moto goes.
  if [[ -n $sam_pid ]]; then kill -TERM "$sam_pid" 2>/dev/null || true; wait "$sam_pid" 2>/dev/null || true; fi
  if [[ -n $moto_pid ]]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  echo "sam-local: stopped (logs kept in $LOG_DIR)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_moto "$EMULATOR_PORT" "$LOG_DIR/moto.log" "$MOTO_HOST" || { moto_pid=${MOTO_PID:-}; exit 1; }
moto_pid=$MOTO_PID

# --- the table, the key and the first keys, as make dev makes them -----------------------------
if [[ -z ${CREDVAULT_CLI:-} ]]; then
  cargo build --quiet --bin credvault
  CREDVAULT_CLI=${CARGO_TARGET_DIR:-target}/debug/credvault
fi
credvault=$CREDVAULT_CLI
local_stack "$credvault" "$TABLE_NAME" "$KMS_ALIAS"

# --- SAM --------------------------------------------------------------------------------------------
# SAM passes from --env-vars only the variables the template declares: TABLE_NAME and
# KMS_KEY_ID name moto's table and key here; AWS_ENDPOINT_URL is declared for this (absent
# when deployed). SAM 1.170 cannot resolve the template's Fn::If with AWS::NoValue and leaves
# the variable blank, so its value comes from here; LocalAwsEndpoint is passed all the same.
ENV_JSON=$LOG_DIR/env.json
python - "$ENV_JSON" "$TABLE_NAME" "$KMS_ALIAS" "$CONTAINER_ENDPOINT" "${RUST_LOG:-info}" \
  "${RATE_LIMIT_PER_MINUTE:-200}" "${LOG_RETENTION_DAYS:-90}" "http://127.0.0.1:$PORT" <<'PY'
import json, sys
names = ["TABLE_NAME", "KMS_KEY_ID", "AWS_ENDPOINT_URL", "RUST_LOG", "RATE_LIMIT_PER_MINUTE",
         "LOG_RETENTION_DAYS", "PUBLIC_BASE_URL"]
with open(sys.argv[1], "w") as f:
    json.dump({"ApiFunction": dict(zip(names, sys.argv[2:]))}, f, indent=1)
PY
"$SAM" local start-api --template-file "$built_template" --host 127.0.0.1 --port "$PORT" \
  --env-vars "$ENV_JSON" --parameter-overrides "LocalAwsEndpoint=$CONTAINER_ENDPOINT" \
  --region "$AWS_REGION" --warm-containers LAZY \
  ${image_args[@]+"${image_args[@]}"} ${host_args[@]+"${host_args[@]}"} \
  >"$LOG_DIR/sam.log" 2>&1 &
sam_pid=$!

BASE=http://127.0.0.1:$PORT
echo "sam-local: starting sam local start-api on $BASE ($ARCH, image: $IMAGE; log: $LOG_DIR/sam.log)"
# The first request starts the function's container (the image's first use builds SAM's
# layer on it; under qemu a cold start takes seconds).
deadline=$((SECONDS + ${SAM_LOCAL_TIMEOUT:-300}))
until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$BASE/v0/whoami" -H "Authorization: Bearer $API_KEY") == 200 ]]; do
  if ! kill -0 "$sam_pid" 2>/dev/null || ((SECONDS > deadline)); then
    echo "sam-local: the function did not answer 200 on /v0/whoami; see $LOG_DIR/sam.log" >&2
    tail -n 40 "$LOG_DIR/sam.log" >&2
    exit 1
  fi
  sleep 2
done

if [[ $MODE == check ]]; then
  source scripts/seed-checks.sh
  seed_checks "$BASE" "$API_KEY" "$LOG_DIR/body.json"
  echo "sam-local check ($ARCH, image: $IMAGE): $passed passed, $failed failed"
  ((failed == 0))
  exit
fi

cat <<MSG

credvault is running in SAM's Lambda emulation ($ARCH, image: $IMAGE).
  base URL   $BASE
  API key    $API_KEY   (identity $(json_field identityId <<<"$IDENTITY"), vault:read + vault:write)
  platform   $PLATFORM_KEY   (organisation $(json_field orgId <<<"$PLATFORM"): makes identities)
  AWS        moto at $AWS_ENDPOINT_URL (the function: $CONTAINER_ENDPOINT), table $TABLE_NAME, key $KMS_ALIAS ($(json_field kmsKeyArn <<<"$SETUP"))
  logs       $LOG_DIR (sam.log, moto.log, env.json)

Try:
  curl -X PUT $BASE/v0/vault/stripe \\
    -H "Authorization: Bearer $API_KEY" \\
    -H "Content-Type: application/json" \\
    -d '{"type":"API_KEY","data":{"key":"sk_live_abc123..."},"metadata":{"service":"stripe","prefix":"sk_live_...c123"}}'
  curl -H "Authorization: Bearer $API_KEY" $BASE/v0/vault/stripe

MCP (Streamable HTTP) at $BASE/mcp, for example:
  claude mcp add --transport http credvault $BASE/mcp \\
    --header "Authorization: Bearer $API_KEY"

Operator verbs (identity, platform-key) work on moto's table with:
  export TABLE_NAME=$TABLE_NAME KMS_KEY_ID=$KMS_ALIAS AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_REGION=$AWS_REGION AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
  $credvault identity list

Ctrl-C stops everything this started.
MSG

wait "$sam_pid"
