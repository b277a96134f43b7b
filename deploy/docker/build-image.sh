#!/usr/bin/env bash
# Builds a dtrain image: the whole program (`server`, `worker` and the other commands), or with
# --app worker the worker alone, without the parameter server's code.
#
#   deploy/docker/build-image.sh [--app all|worker] [--tag TAG] [--base IMAGE] [--deps host|registry] [--local-base]
#
#   --app         all (default) or worker
#   --tag         image tag (default dtrain:local, or dtrain-worker:local for --app worker; env DTRAIN_IMAGE)
#   --base        BASE_IMAGE (default node:22-slim, env DTRAIN_BASE_IMAGE)
#   --local-base  build dtrain-node-base:local from this machine's node first and use it
#   --deps        host (default): copy this checkout's production node_modules (run `npm ci` first);
#                 registry: `npm ci` inside the build (needs a registry and npm in the base image)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tag="${DTRAIN_IMAGE:-}"
app=all
base="${DTRAIN_BASE_IMAGE:-node:22-slim}"
deps=host
local_base=0
while [ $# -gt 0 ]; do
  case "$1" in
    --app) app="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --deps) deps="$2"; shift 2 ;;
    --local-base) local_base=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ -z "$tag" ]; then if [ "$app" = worker ]; then tag=dtrain-worker:local; else tag=dtrain:local; fi; fi
if [ "$local_base" = 1 ]; then base="$("$here/build-local-base.sh")"; fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
node "$here/stage-context.mjs" "$ctx" --deps "$deps" --app "$app" >/dev/null

start=$(date +%s)
build_args=(--build-arg "BASE_IMAGE=$base")
# npm inside the build trusts what the host trusts (TLS-intercepting proxies), if the base has the file.
if [ "$deps" = registry ] && [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then build_args+=(--build-arg NODE_EXTRA_CA_CERTS); fi
docker build --tag "$tag" "${build_args[@]}" "$ctx"
echo "built $tag from $base in $(( $(date +%s) - start )) s; size $(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')" >&2
