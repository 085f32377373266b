# wsgid container image: httpd + mod_wsgid + the wsgid launcher, serving one TOML site profile.
#
#   docker build -t wsgid .                                   # Debian 12 bookworm, Python 3.11
#   docker build --build-arg DEBIAN=trixie -t wsgid:trixie .  # Debian 13 trixie, Python 3.13
#   docker run --rm -p 8080:8080 wsgid                      # the built-in example site
#   docker run --rm --read-only -p 8080:8080 \
#     -v "$PWD/site.toml:/etc/wsgid/site.toml:ro" -v "$PWD/app:/srv/app:ro" wsgid
#
# DEBIAN picks the release, and with it the Python the module embeds (the release's python3):
# bookworm 3.11, trixie 3.13. There is no registry here: debian:DEBIAN-slim is built locally by
# scripts/container-ci.sh (debootstrap + docker import); any debian:*-slim works. BASE overrides
# the base image entirely. See docs/container.md.

ARG DEBIAN=bookworm
ARG BASE=debian:${DEBIAN}-slim

# ---------------------------------------------------------------------------------------------
# build: compile, run the unit tests, and work out what the runtime stage needs.
# (Flask and Django are here for the unit tests that serve them; the runtime has neither.)
FROM ${BASE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config binutils \
      apache2-bin apache2-dev \
      python3 libpython3-dev \
      libseccomp-dev libtomlplusplus-dev libgtest-dev \
      libssl-dev \
      python3-flask python3-django \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSGID_BUILD_FUZZERS=OFF \
 && cmake --build /build -j"$(nproc)"
# Unit tests only: the integration suite and the benchmark smoke test start many httpds (and
# need pytest, wrk, mod_wsgi) and belong to scripts/test.sh. Two enforcement tests probe with
# unshare(0), which the engine's default seccomp profile refuses inside any container build
# (EPERM); they run on the host in scripts/test.sh.
RUN ctest --test-dir /build -j"$(nproc)" --output-on-failure --timeout 300 \
      -E '^integration\.|^bench\.|^Enforcement\.(AllowAddsToTheBase|LogActionLetsTheCallRun)$'

# Stage what the runtime needs: our binaries (stripped), Debian's httpd binary and only the
# httpd modules the launcher can render a LoadModule line for (found in launcher/render), and
# the list of Debian packages owning the shared libraries all of these link. Installing
# apache2-bin itself would drag in perl, libxml2 + ICU, curl and lua (~90 MB) for modules and
# scripts the launcher never uses; copying keeps the package database consistent, so images
# built FROM this one can still apt-get install.
RUN set -eu; \
    mkdir -p /out/bin /out/sbin /out/modules; \
    install -m 0755 /build/launcher/wsgid /out/bin/wsgid; \
    install -m 0644 /build/module/mod_wsgid.so /build/module/wsgid_python.so /out/modules/; \
    install -m 0755 /build/module/wsgid-daemon /out/modules/; \
    strip --strip-unneeded /out/bin/wsgid /out/modules/*.so /out/modules/wsgid-daemon; \
    install -m 0755 /usr/sbin/apache2 /out/sbin/apache2; \
    for m in $(grep -ho 'mod_[a-z0-9_]*\.so' launcher/render/*.cpp | grep -vx mod_wsgid.so | sort -u); do \
      install -m 0644 "/usr/lib/apache2/modules/$m" /out/modules/; \
    done; \
    for f in /out/bin/* /out/sbin/* /out/modules/*; do ldd "$f"; done \
      | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u \
      | while read -r lib; do \
          real=$(readlink -f "$lib"); \
          dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null \
            || dpkg -S "$lib" 2>/dev/null || { echo "no package owns $lib" >&2; exit 1; }; \
        done \
      | cut -d: -f1 | sort -u > /out/runtime-packages; \
    echo "runtime packages: $(tr '\n' ' ' < /out/runtime-packages)"; ls /out/modules

# ---------------------------------------------------------------------------------------------
# runtime: httpd (only the modules the launcher loads), libpython3.X, libseccomp, our binaries.
FROM ${BASE} AS runtime
ARG DEBIAN
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="wsgid" \
      org.opencontainers.image.description="Apache httpd + mod_wsgid: WSGI apps in supervised, sandboxed daemon process groups, configured by one TOML site profile" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="debian:${DEBIAN}-slim" \
      org.opencontainers.image.documentation="docs/container.md"

# media-types: /etc/mime.types, which the rendered config names when a site has static files.
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN set -eu; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends media-types $(cat /tmp/runtime-packages); \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
           /tmp/runtime-packages /usr/share/doc/* /usr/share/man/* /usr/share/info/*; \
    useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin wsgid; \
    mkdir -p /etc/wsgid /srv/app

COPY --from=build /out/sbin/apache2 /usr/sbin/apache2
COPY --from=build /out/modules/ /usr/lib/apache2/modules/
COPY --from=build /out/bin/wsgid /usr/local/bin/wsgid
COPY compose/site/site.toml /etc/wsgid/site.toml
COPY compose/site/app/ /srv/app/

# Read-only root filesystem: the launcher renders into a fresh directory under $TMPDIR, where
# httpd also keeps its pid file and the daemons' sockets. /tmp is a volume so
# `docker run --read-only` works as is (prefer `--tmpfs /tmp`); Kubernetes mounts an emptyDir.
# No bytecode is written next to (possibly read-only) app code.
ENV TMPDIR=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/tmp"]

USER 10001:10001
WORKDIR /srv/app
EXPOSE 8080

# Healthy while httpd answers without a server error. /-/healthz is the launcher's default
# liveness endpoint ([server.health]): answered by mod_wsgid in httpd's workers, without Python
# and whatever the Host; a profile that turns it off sends the probe to its app instead, where
# any answer but a 5xx still counts. bash's /dev/tcp keeps curl out of the image.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${WSGID_HEALTH_PORT:-8080} && printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' \"${WSGID_HEALTH_PATH:-/-/healthz}\" \"${WSGID_HEALTH_HOST:-localhost}\" >&3 && read -r _ code _ <&3 && [ \"$code\" -ge 200 ] && [ \"$code\" -lt 500 ]"]

# Exec form: wsgid is PID 1 and receives `docker stop`'s SIGTERM itself (graceful drain).
ENTRYPOINT ["/usr/local/bin/wsgid", "run"]
CMD ["/etc/wsgid/site.toml"]
