# syntax=docker/dockerfile:1
# talosctl-oidc server image: the prebuilt linux binary (deno compile output, glibc-linked) on distroless/cc,
# which carries glibc, libgcc and CA certificates and nothing else (no shell, no package manager).
# Build after `deno run -A scripts/compile.ts linux-amd64 linux-arm64` (buildx picks the binary by TARGETARCH):
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/<owner>/talosctl-oidc:<tag> .
# An empty data_dir owned by nonroot, made on the build platform (no emulation for the other architecture), so a
# volume mounted there starts out writable by the server.
FROM --platform=$BUILDPLATFORM busybox:1.37 AS datadir
RUN mkdir -p /out/var/lib/talosctl-oidc && chown -R 65532:65532 /out/var/lib/talosctl-oidc && chmod 0700 /out/var/lib/talosctl-oidc

FROM gcr.io/distroless/cc-debian12:nonroot

ARG TARGETARCH
ARG VERSION=dev
LABEL org.opencontainers.image.title="talosctl-oidc" \
      org.opencontainers.image.description="OIDC single sign-on for Talos Linux: ID token in, short-lived Talos client certificate out" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

COPY --chmod=0555 dist/talosctl-oidc-linux-${TARGETARCH} /talosctl-oidc
COPY --from=datadir /out/ /

# uid/gid 65532 (nonroot). With a read-only root file system, mount a volume on data_dir.
USER nonroot:nonroot
ENV TALOSCTL_OIDC_DATA_DIR=/var/lib/talosctl-oidc
VOLUME ["/var/lib/talosctl-oidc"]
EXPOSE 8443
ENTRYPOINT ["/talosctl-oidc", "serve"]
