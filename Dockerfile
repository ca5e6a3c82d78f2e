# The portal's image for deploy/compose.yaml: the locked dependencies and the code.
# (Docker is not available on this project's CI machines: this file is not built there.)
FROM python:3.11-slim
RUN pip install --no-cache-dir uv
WORKDIR /opt/ttportal
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
ENV PATH="/opt/ttportal/.venv/bin:$PATH" PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "ttportal.asgi:application"]
