# syntax=docker/dockerfile:1
# ebr image: the `ebr` console script (api, worker, db upgrade, ...) on Python 3.11.
# Built by docker-compose.yml; the command chooses the role, e.g. `docker run ebr:latest api`.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . .
# A wheel of the project alone; its dependencies are resolved in the runtime stage.
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    EBR_DATA_DIR=/var/lib/ebr

# Non-root; owns the data directory so a fresh named volume mounted there is writable.
RUN groupadd --system --gid 10001 ebr \
    && useradd --system --uid 10001 --gid ebr --home-dir /var/lib/ebr --shell /usr/sbin/nologin ebr \
    && install -d -o ebr -g ebr -m 0750 /var/lib/ebr

# Runtime dependencies only (no [dev] extra).
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install /wheels/*.whl

USER ebr
WORKDIR /var/lib/ebr
EXPOSE 8000
ENTRYPOINT ["ebr"]
CMD ["--help"]
