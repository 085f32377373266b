#!/usr/bin/env bash
# Builds a "slim" Debian root filesystem tarball for the image's base, with debootstrap from
# the Debian mirror named in this machine's apt sources (there is no registry to pull from).
#
#   sudo bash scripts/container-base.sh SUITE TARBALL     # SUITE: bookworm or trixie
#
# Any suite the machine's debootstrap knows works: the mirror that serves the machine's own
# release serves the others too (trixie is signed by keys bookworm's debian-archive-keyring
# has). The image gets SUITE, SUITE-updates and SUITE-security from the same mirrors the
# machine uses, so it receives security fixes. Used by scripts/container-ci.sh; callable on its
# own to prepare a cache ahead of a CI run.
set -euo pipefail

suite=${1:?usage: container-base.sh SUITE TARBALL}
tarball=${2:?usage: container-base.sh SUITE TARBALL}
fail() { echo "container-base: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap)"
[ -e "/usr/share/debootstrap/scripts/$suite" ] || fail "debootstrap does not know suite '$suite'"

# URIs of the machine's Debian sources: $1 = "main" (the archive) or "security".
# deb822 (.sources) first, then one-line .list files.
apt_uri() {
  local kind=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v kind="$kind" 'BEGIN{RS=""}
      !/Types:[^\n]*deb-src[^\n]*(\n|$)/ && /debian-archive-keyring/ {
        sec = /(^|\n)Suites:[^\n]*-security/
        if ((kind == "security") != sec) next
        if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { u=substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u); print u; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v kind="$kind" '$1 == "deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      sec = ($(i+1) ~ /-security$/); if ($i ~ /debian/ && (kind == "security") == sec) { print $i; exit } }' "$f"
  done
}
mirror=$(apt_uri main | head -n1)
security=$(apt_uri security | head -n1)
[ -n "$mirror" ] || fail "no Debian mirror found in /etc/apt/sources.list{,.d/*}"

work=$(mktemp -d "${TMPDIR:-/tmp}/wsgid-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -30 "$work/debootstrap.log" >&2; fail "debootstrap $suite from $mirror"; }

# "slim" as the usual images are: no docs, man pages or locales now or in later layers, no
# downloaded .debs or package lists kept.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Binary::apt::APT::Keep-Downloaded-Packages "false";
EOF
echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"

# Debian's own suites only: third-party repositories are not signed by the archive key the
# image has.
rm -f "$rootfs/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$mirror" "$suite" "$suite"
  printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  if [ -n "$security" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$suite"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"

find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
mkdir -p "$(dirname "$tarball")"
tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "container-base: $suite from $mirror${security:+ (security: $security)} -> $tarball ($(du -h "$tarball" | cut -f1))"
