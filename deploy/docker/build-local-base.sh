#!/usr/bin/env bash
# Builds a Node base image from this machine's own `node` binary and the shared libraries it links,
# for machines that cannot pull node:*-slim from a registry. The result plays the part of
# BASE_IMAGE in deploy/docker/Dockerfile: node on PATH, a non-root `node` user (uid 1000, as in
# the official images), CA certificates and a writable /tmp. No shell and no npm: nothing in the
# runtime image needs them, and each one is attack surface.
#
#   deploy/docker/build-local-base.sh [--with-npm] [TAG]   (default dtrain-node-base:local, env DTRAIN_BASE_IMAGE)
#
# --with-npm also copies the host's npm to /usr/local/lib/node_modules/npm, where the official
# images keep it: enough for `build-image.sh --deps registry` (npm ci inside the build).
set -euo pipefail

with_npm=0
if [ "${1:-}" = "--with-npm" ]; then with_npm=1; shift; fi
tag="${1:-${DTRAIN_BASE_IMAGE:-dtrain-node-base:local}}"
node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
ca_bundle="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/home/node" "$root/app"
cp "$node_bin" "$root/usr/local/bin/node"
if [ "$with_npm" = 1 ]; then
  npm_dir="$(npm root -g)/npm"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -r "$npm_dir" "$root/usr/local/lib/node_modules/npm"
fi

# Every absolute path ldd prints (libraries and the loader), copied to the same path, symlinks
# resolved, so the loader finds them where the binary was linked to look.
while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done < <(ldd "$node_bin" | grep -o '/[^ )]*' | sort -u)

if [ -f "$ca_bundle" ]; then cp -L "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"; fi
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000:node:/home/node:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
# Without this glibc asks DNS before /etc/hosts, so `localhost` would depend on the resolver.
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"

# A tarball import keeps modes and owners exactly (sticky /tmp, /home/node owned by node) and
# needs no base image at all.
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$root.tar" --exclude=./home/node .
tar -C "$root" --numeric-owner --owner=1000 --group=1000 -rf "$root.tar" ./home/node
trap 'rm -rf "$root" "$root.tar"' EXIT
docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  --message "node ${node_version} from $(hostname) (deploy/docker/build-local-base.sh)" \
  "$root.tar" "$tag" >/dev/null
echo "$tag"
