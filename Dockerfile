# certhunt as a container: a static binary (pure-Go SQLite, no cgo) on a distroless base that
# holds only CA certificates, tzdata and a nonroot user. Build with
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t certhunt .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/certhunt ./cmd/certhunt

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/certhunt /usr/local/bin/certhunt
COPY examples/docker.yaml /etc/certhunt/certhunt.yaml
# The database, cursors, feed copies and homographs.json live on this volume.
WORKDIR /data
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/certhunt"]
CMD ["serve", "-config", "/etc/certhunt/certhunt.yaml"]
