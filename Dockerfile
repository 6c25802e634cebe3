# dmptool in a container: one static binary on an empty image.
#   docker build -t dmptool .
#   docker run -d --name dmptool -p 5000:5000 -v dmptool-data:/data dmptool
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN RUSTFLAGS='-C target-feature=+crt-static --cfg getrandom_backend="linux_getrandom"' cargo build --release --locked --target x86_64-unknown-linux-gnu \
 && mkdir -p /out/data \
 && cp target/x86_64-unknown-linux-gnu/release/dmptool /out/dmptool

FROM scratch
COPY --from=build /out/dmptool /dmptool
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV DMPTOOL_DATA=/data DMPTOOL_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s CMD ["/dmptool", "health", "--port", "5000"]
ENTRYPOINT ["/dmptool"]
CMD ["serve", "--host", "0.0.0.0", "--port", "5000"]
