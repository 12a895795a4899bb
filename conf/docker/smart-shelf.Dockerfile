# One image for every Smart Shelf service: the Python package, a Java runtime for Spark and
# Kafka Connect, and the jars pinned in conf/jvm/pom.xml (so nothing is downloaded at start).
# Layers from the least to the most often changed: jars, system packages, Python dependencies, code.
FROM maven:3.9.9-eclipse-temurin-17 AS jars
WORKDIR /build
COPY conf/jvm conf/jvm
RUN mvn -B -q -s conf/jvm/settings.xml -f conf/jvm/pom.xml package

FROM python:3.11.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 shelf
WORKDIR /app
# The pinned dependencies alone first: a code change does not reinstall pyspark and xgboost.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt
COPY --from=jars /build/jars /app/jars
COPY . .
# var/ holds the named volumes (store data, Delta) and run-time files, owned by the image's user so
# that a volume created from it is writable whoever runs Docker.
RUN pip install --no-cache-dir --no-deps -e . \
 && mkdir -p /app/var/data /app/var/delta /app/var/run /app/var/logs \
 && chown -R shelf /app/var
# the Spark JVMs' class archive (smart_shelf.spark.class_archive): each Spark start 5 s quicker;
# without it Spark runs as before
RUN python -m smart_shelf.spark.class_archive /app/jars/spark-classes.jsa > /tmp/class-archive.log 2>&1 \
 || (tail -20 /tmp/class-archive.log; echo "WARNING: no Spark class archive")
USER shelf
ENV PYTHONUNBUFFERED=1
