# The hub alone; Neo4j comes from the `neo4j` service in docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY journal ./journal
COPY hub ./hub
COPY schema ./schema
COPY linkage ./linkage
COPY connectors ./connectors
COPY graph ./graph
COPY simulator ./simulator
COPY reports ./reports
COPY console ./console
COPY store ./store
# the DCI specification the DCI endpoints validate against (an unmodified copy)
COPY standards/ /app/standards/
RUN pip install --no-cache-dir . \
 && useradd --system --home /var/lib/satupintu satupintu \
 && mkdir -p /var/lib/satupintu && chown satupintu /var/lib/satupintu
USER satupintu
ENV HUB_HOME=/var/lib/satupintu HUB_HOST=0.0.0.0 HUB_DCI_SPEC_DIR=/app/standards/dci
EXPOSE 8000
CMD ["hub", "serve"]
