# gitops-ocm: the controller and the agent in one image (docs/deploy.md).
#   docker build -t gitops-ocm .
#   docker run --rm -v "$PWD:/repo" gitops-ocm validate /repo
# Dependencies come from requirements/runtime.lock, pinned with hashes; the project
# itself is installed without resolving anything. The process runs as uid 65532 and
# keeps its state and mirrors in /var/lib/gitops-ocm and /var/cache/gitops-ocm
# (mount volumes there); nothing is written to HOME, so a read-only root works.
# tests/deploy/test_image.py runs the entry point with this file's ENV.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements/runtime.lock ./requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/runtime.lock
COPY pyproject.toml README.md MANIFEST.in ./
COPY gitops_ocm ./gitops_ocm
COPY schemas ./schemas
COPY examples/repo ./examples/repo
RUN rm gitops_ocm/schemas && cp -r schemas gitops_ocm/schemas \
    && rm gitops_ocm/example_fleet && cp -r examples/repo gitops_ocm/example_fleet \
    && pip install --no-cache-dir --no-deps --no-build-isolation . \
    && useradd --uid 65532 --user-group --create-home --home-dir /home/gitops gitops \
    && mkdir -p /var/lib/gitops-ocm /var/cache/gitops-ocm \
    && chown 65532:65532 /var/lib/gitops-ocm /var/cache/gitops-ocm \
    && chmod 0700 /var/lib/gitops-ocm /var/cache/gitops-ocm
# Log lines leave at once (no buffering until exit). The controller's keys go to
# GITOPS_OCM_STATE_DIR; an agent without --state keeps $XDG_STATE_HOME/gitops-ocm/<cluster>;
# mirrors of remote repositories go to $XDG_CACHE_HOME/gitops-ocm.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/gitops \
    GITOPS_OCM_STATE_DIR=/var/lib/gitops-ocm \
    XDG_STATE_HOME=/var/lib \
    XDG_CACHE_HOME=/var/cache
WORKDIR /home/gitops
USER 65532:65532
ENTRYPOINT ["gitops-ocm"]
CMD ["--help"]
