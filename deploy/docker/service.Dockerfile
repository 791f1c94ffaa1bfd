# The image of every Sigap service, built from the repo root (docker compose does). The service
# and its port are build args; the web service builds the `web` target, which adds its browser
# libraries:
#   docker build -f deploy/docker/service.Dockerfile --target service \
#     --build-arg SERVICE=intake --build-arg PORT=8000 -t sigap/intake .
#   docker build -f deploy/docker/service.Dockerfile --target web \
#     --build-arg SERVICE=web --build-arg PORT=8080 -t sigap/web .

# The browser libraries come from npm (package-lock.json) in their own stage; only their files
# reach the web image, which serves them itself (no CDN).
FROM node:20-slim AS web-assets
WORKDIR /assets
COPY services/web/package.json services/web/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim AS build
ARG SERVICE
RUN pip install --no-cache-dir uv==0.9.30
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY shared/ shared/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "sigap-${SERVICE}"

FROM python:3.11-slim AS service
ARG SERVICE
ARG PORT
RUN useradd --system --uid 10001 --no-create-home sigap
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 SIGAP_SERVICE=${SERVICE}
USER 10001
EXPOSE ${PORT}
# The service's console script; exec, so that it is PID 1 and receives the stop signal itself.
CMD ["/bin/sh", "-c", "exec \"sigap-$SIGAP_SERVICE\""]

FROM service AS web
COPY --from=web-assets /assets/node_modules /app/node_modules
ENV SIGAP_WEB_NODE_MODULES=/app/node_modules
