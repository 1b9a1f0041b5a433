# Multi-stage build on Debian 12. The runtime image holds the binary, its shared libraries and a
# non-root user; data_dir is a volume. (No Docker engine on the build machines: see packaging/.)
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUDITRELAY_TESTS=OFF -DAUDITRELAY_BENCH=OFF \
 && cmake --build /build --target auditrelay

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libcurl4 librdkafka1 libyaml-cpp0.7 \
      libspdlog1.10 libfmt9 libsimdjson14 zlib1g libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/auditrelay auditrelay \
 && mkdir -p /var/lib/auditrelay /etc/auditrelay && chown auditrelay /var/lib/auditrelay
COPY --from=build /build/auditrelay /usr/local/bin/auditrelay
COPY config/quickstart.yaml /etc/auditrelay/example.yaml
USER 10001
VOLUME ["/var/lib/auditrelay"]
ENV AUDITRELAY_CONFIG=/etc/auditrelay/auditrelay.yaml
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/auditrelay", "version"]
ENTRYPOINT ["/usr/local/bin/auditrelay"]
CMD ["run", "--log-format", "json"]
