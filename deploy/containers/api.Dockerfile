# Build from the repository root: docker build -f deploy/containers/api.Dockerfile -t dns-sync-api .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY shared/ shared/
COPY api/ api/
RUN dotnet publish api/DnsSync.Api.csproj -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out .
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 8080
# The image's built-in unprivileged user (uid 1654).
USER $APP_UID
ENTRYPOINT ["./dns-sync-api"]
