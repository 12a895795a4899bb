# One image for every Smart Shelf service: the Python package, a Java runtime for Spark and
# Kafka Connect, and the jars pinned in conf/jvm/pom.xml (so nothing is downloaded at start).
FROM maven:3.9.9-eclipse-temurin-17 AS jars
WORKDIR /build
COPY conf/jvm conf/jvm
RUN mvn -B -q -s conf/jvm/settings.xml -f conf/jvm/pom.xml package

FROM python:3.11.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . \
 && useradd --create-home --uid 1000 shelf && chown -R shelf /app
COPY --from=jars --chown=shelf /build/jars /app/jars
USER shelf
ENV PYTHONUNBUFFERED=1
