# Multi-stage build on Debian 12. The runtime image is `FROM scratch` plus the file set that
# packaging/container/assemble-rootfs.sh collects: the binary, exactly the shared libraries it
# loads, the loader, CA certificates and a non-root user. No shell. The same script runs in CI,
# where packaging/container/check-rootfs.sh proves the binary runs from that file set alone
# (there is no Docker engine on the build machines).
#
#   docker build -t auditrelay .
#   docker run --read-only -v auditrelay-data:/var/lib/auditrelay \
#     -v $PWD/auditrelay.yaml:/etc/auditrelay/auditrelay.yaml:ro auditrelay
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUDITRELAY_TESTS=OFF -DAUDITRELAY_BENCH=OFF \
 && cmake --build /build --target auditrelay \
 && packaging/container/assemble-rootfs.sh /build/auditrelay /rootfs \
 && packaging/container/check-rootfs.sh /rootfs /build/auditrelay

FROM scratch
COPY --from=build /rootfs /
USER 10001:10001
WORKDIR /var/lib/auditrelay
# Checkpoints, dead letters and disk buffers; everything else can be read-only.
VOLUME ["/var/lib/auditrelay"]
ENV AUDITRELAY_CONFIG=/etc/auditrelay/auditrelay.yaml
EXPOSE 2020
# Needs server.listen in the config (the example listens on 0.0.0.0:2020).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["/usr/local/bin/auditrelay", "healthcheck", "--url", "http://127.0.0.1:2020/healthz"]
ENTRYPOINT ["/usr/local/bin/auditrelay"]
CMD ["run", "--log-format", "json"]
