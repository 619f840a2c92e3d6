# 简报问答: the Telegram bot (`bulletin serve`) in a container.
#
#   docker build -t bulletin-qa .
#   docker run -d --name bulletin -v bulletin-data:/data \
#       -e TELEGRAM_BOT_TOKEN -e BULLETIN_ADMIN_IDS bulletin-qa
#
# The web site (`bulletin web`) runs from the same image beside it, on the same volume (the entrypoint is already
# `bulletin`, so the command is just `web …`; --host 0.0.0.0, as its default 127.0.0.1 is unreachable from outside):
#   docker run -d --name bulletin-web -p 8080:8080 -v bulletin-data:/data \
#       -e BULLETIN_WEB_ADMIN_TOKEN bulletin-qa web --host 0.0.0.0
#
# The database (and the index folder beside it) lives in the /data volume; the bot never fills it with the bundled
# sample: admins send it bulletins. The token is given at run time, never built into the image.
# Every dependency is a wheel except jieba, a pure-Python sdist that pip builds without a compiler.

# Python 3.11, the oldest the project supports (requires-python >=3.11), on Debian 12 slim.
FROM python:3.11.17-slim-bookworm

LABEL org.opencontainers.image.title="bulletin-qa" \
      org.opencontainers.image.description="简报问答: a Telegram bot that answers questions about work bulletins" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BULLETIN_DB=/data/bulletins.db \
    BULLETIN_CACHE_DIR=/opt/bulletin/cache

# The runtime user: numeric id 10001, no login shell, its home the data volume.
RUN groupadd --system --gid 10001 bulletin \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin bulletin \
    && install -d -o 10001 -g 10001 -m 0750 /data

# Only what the build needs; installed as a regular (non-editable) package, bundled data included.
WORKDIR /opt/bulletin/src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY index/ index/
COPY data/ data/
RUN pip install --no-cache-dir .

# Build jieba's dictionary cache now (each start then reads it instead of building it, about a second) and check that
# the sample bulletin was installed. Run outside the source folder, so the installed package is what is imported.
# jieba writes the cache readable by its owner only: the runtime user gets read access, not write.
WORKDIR /data
RUN python -c "from index import Segmenter; from index.resources import sample_bulletins; Segmenter(); assert sample_bulletins()" \
    && chmod -R a+rX,go-w /opt/bulletin/cache

USER 10001:10001
VOLUME ["/data"]

# `bulletin web`'s port (the bot itself listens on nothing: it polls Telegram)
EXPOSE 8080

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 CMD ["bulletin", "health"]

ENTRYPOINT ["bulletin"]
CMD ["serve"]
