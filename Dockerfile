# syntax=docker/dockerfile:1
# wafproxy container image: `docker build -t wafproxy:0.1.0 .`
#
# Stage 1 builds the wheels, wafproxy's hot modules compiled with mypyc; stage 2 installs them (no
# compiler) into python:3.11-slim (CPython built with PGO and LTO, --enable-optimizations, by the
# official image), compiles the default ACL's hyperscan databases into the image so a container
# answers its first request in about a second, and runs as an unprivileged user with a read-only
# root filesystem (only /tmp and /var/lib/wafproxy are written; mount them as tmpfs/volumes).
# Configuration: WAFPROXY_* variables and a mounted ACL. `docker run wafproxy:0.1.0 version` says
# whether the image runs compiled.
#
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp -v wafproxy-state:/var/lib/wafproxy \
#     -e WAFPROXY_UPSTREAM=http://app:3000 wafproxy:0.1.0
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# The wheel carries the hot modules compiled with mypyc (hatch_build.py, wafproxy/compiled.py): a C
# compiler and libc's headers are installed in this stage only (the image has Python's). The ARG is
# the build's WAFPROXY_COMPILE: 1 (the default here) fails the image build rather than ship pure
# Python; --build-arg WAFPROXY_COMPILE=0 builds a pure-Python image, without installing a compiler.
ARG WAFPROXY_COMPILE=1
RUN if [ "$WAFPROXY_COMPILE" != 0 ]; then apt-get update -qq \
      && apt-get install -y -qq --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*; fi
WORKDIR /src
COPY pyproject.toml README.md hatch_build.py ./
COPY wafproxy ./wafproxy
COPY rules ./rules
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="wafproxy" \
      org.opencontainers.image.description="Web application firewall (AWS WAFv2 rules) as a reverse proxy" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WAFPROXY_HS_CACHE=/opt/wafproxy/hyperscan \
    WAFPROXY_LISTEN=0.0.0.0:8080 \
    WAFPROXY_ADMIN_LISTEN=0.0.0.0:9090 \
    WAFPROXY_STATE_DIR=/var/lib/wafproxy/state
RUN groupadd --system --gid 10001 wafproxy \
 && useradd --system --uid 10001 --gid wafproxy --home-dir /var/lib/wafproxy --shell /usr/sbin/nologin wafproxy \
 && install -d -o wafproxy -g wafproxy -m 0700 /opt/wafproxy/hyperscan /var/lib/wafproxy
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-compile /wheels/*.whl && rm -rf /wheels \
 && python -m compileall -q "$(python -c 'import wafproxy, os; print(os.path.dirname(wafproxy.__file__))')"
USER wafproxy
# The pattern databases of the default ACL (and of every shipped managed group it uses), compiled
# once here as the user that will read them: the cache refuses directories others can write.
RUN wafproxy check
EXPOSE 8080 9090
STOPSIGNAL SIGTERM
# /healthz on the admin listener says the process answers; slim images have no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9090/healthz', timeout=2)"]
ENTRYPOINT ["wafproxy"]
CMD ["serve"]
