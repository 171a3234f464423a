# Build from the repository root: docker build -f deploy/containers/migrations.Dockerfile -t dns-sync-migrations .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY shared/ shared/
COPY migrations/ migrations/
RUN dotnet publish migrations/DnsSync.Migrations.csproj -c Release -o /out

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /out .
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1
USER $APP_UID
ENTRYPOINT ["./dns-sync-migrations"]
CMD ["up"]
