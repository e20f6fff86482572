# The vendorwatch engine (no Java inside: the broker runs elsewhere, e.g. docker-compose.yml's
# `kafka` service). Build: docker build -t vendorwatch .   Run: docker run vendorwatch --help
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The whole build context (see .dockerignore): pyproject.toml, constraints.txt and the packages.
COPY . /tmp/vendorwatch-src
# Pinned by constraints.txt, exactly as `make install` pins the development environment.
RUN pip install --constraint /tmp/vendorwatch-src/constraints.txt /tmp/vendorwatch-src \
    && rm -rf /tmp/vendorwatch-src \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/vendorwatch \
        --shell /usr/sbin/nologin vendorwatch \
    && mkdir -p /data \
    && chown vendorwatch:vendorwatch /data

# The DuckDB event store lives in the /data volume (a new named volume inherits the owner).
ENV VENDORWATCH_DB=/data/vendorwatch.duckdb
VOLUME ["/data"]
WORKDIR /data
USER vendorwatch

ENTRYPOINT ["vendorwatch"]
CMD ["ingest"]
