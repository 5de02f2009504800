# gatewatch runtime image: CPU inference with ONNX Runtime, decoding with PyAV's bundled FFmpeg.
# Downloaded weights are not baked in (the project's own weapon model is): mount them and point GATEWATCH_MODELS_DIR at them, or let the manifest URL fetch them.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GATEWATCH_MODELS_DIR=/models \
    GATEWATCH_SAMPLES_DIR=/samples \
    GATEWATCH_WEIGHTS_DIR=/data/weights \
    GATEWATCH_DATA_DIR=/data

WORKDIR /app
# Dependencies first so code edits do not reinstall onnxruntime/opencv/av. With the postgres extra, so the
# image also runs against PostgreSQL (GATEWATCH_DATABASE_URL=postgresql+psycopg://...).
COPY pyproject.toml setup.py README.md ./
RUN mkdir -p gatewatch vision streams api models sample_videos \
 && touch gatewatch/__init__.py vision/__init__.py streams/__init__.py api/__init__.py \
          models/__init__.py sample_videos/__init__.py \
 && pip install --no-cache-dir -e ".[postgres]" \
 && rm -rf gatewatch vision streams api models sample_videos
COPY gatewatch ./gatewatch
COPY vision ./vision
COPY streams ./streams
COPY api ./api
COPY models/__init__.py models/manifest.toml ./models/
# The one model trained by this project is committed (3.7 MB); every other weight is mounted or fetched.
COPY models/weights/yolox_nano_weapon.onnx ./models/weights/yolox_nano_weapon.onnx
COPY sample_videos ./sample_videos

# /app/.cache: clips missing from /samples are downloaded there (by manifest URL, sha256-checked).
RUN useradd --system --uid 10001 gatewatch && mkdir -p /models /samples /data /app/.cache \
 && chown gatewatch /data /app/.cache
USER gatewatch
VOLUME ["/models", "/samples", "/data"]
EXPOSE 8080
# Process alive and answering HTTP; /readyz (model loaded, database writable) is for the orchestrator's readiness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
ENTRYPOINT ["gatewatch"]
# The demo: every sample clip in /samples as a live camera. Mount your own config and pass --config to run yours.
CMD ["serve", "--config", "sample_videos/demo.yaml", "--host", "0.0.0.0", "--port", "8080"]
