# strmline: the web UI built with Node, then one slim Python image that runs every role of the
# scaled setup (`strmline serve`, `worker`, `beat`, `db upgrade`); see compose.yaml and README.

# -- 1. the web UI (vite writes it into the Python package: frontend/vite.config.ts) -------------
FROM node:20-bookworm-slim AS ui
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN mkdir -p ../src/strmline/web && npm run build

# -- 2. the package and its dependencies, in a virtualenv copied whole into the image -----------
FROM python:3.11-slim-bookworm AS python
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src/ src/
COPY --from=ui /build/src/strmline/web/ src/strmline/web/
RUN /opt/venv/bin/pip install --no-cache-dir /build

# -- 3. the image -------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
# ffmpeg: ffprobe measures streams in health checks; Debian's build, whatever bookworm ships.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin strmline \
    && mkdir -p /data /libraries \
    && chown strmline:strmline /data /libraries
COPY --from=python /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    STRMLINE_DATA_DIR=/data \
    STRMLINE_OUTPUT_DIR=/libraries
USER 10001:10001
WORKDIR /data
VOLUME ["/data", "/libraries"]
EXPOSE 8000
# Workers and beat serve no HTTP: compose.yaml gives them their own check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"]
ENTRYPOINT ["strmline"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
