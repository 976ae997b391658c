# gitops-ocm: the controller and the agent in one image.
#   docker build -t gitops-ocm .
#   docker run --rm -v "$PWD:/repo" gitops-ocm validate /repo
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md MANIFEST.in ./
COPY gitops_ocm ./gitops_ocm
COPY schemas ./schemas
COPY examples/repo ./examples/repo
RUN rm gitops_ocm/schemas && cp -r schemas gitops_ocm/schemas \
    && rm gitops_ocm/example_fleet && cp -r examples/repo gitops_ocm/example_fleet \
    && pip install --no-cache-dir . && useradd --uid 65532 gitops
USER 65532
ENTRYPOINT ["gitops-ocm"]
CMD ["--help"]
