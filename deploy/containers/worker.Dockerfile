# Build from the repository root: docker build -f deploy/containers/worker.Dockerfile -t dns-sync-worker .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY shared/ shared/
COPY worker/ worker/
RUN dotnet publish worker/DnsSync.Worker.csproj -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out .
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DnsWorker__MetricsPort=9464
EXPOSE 9464
USER $APP_UID
ENTRYPOINT ["./dns-sync-worker"]
