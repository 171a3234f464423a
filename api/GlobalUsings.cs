global using Dapper;
global using DnsSync.Api.Infrastructure;
global using Microsoft.AspNetCore.Http.HttpResults;
global using MySqlConnector;
global using Invalid = Microsoft.AspNetCore.Http.HttpResults.BadRequest<DnsSync.Api.Infrastructure.Envelope<DnsSync.Api.Infrastructure.ErrorData>>;
global using Missing = Microsoft.AspNetCore.Http.HttpResults.NotFound<DnsSync.Api.Infrastructure.Envelope<DnsSync.Api.Infrastructure.ErrorData>>;
global using Clash = Microsoft.AspNetCore.Http.HttpResults.Conflict<DnsSync.Api.Infrastructure.Envelope<DnsSync.Api.Infrastructure.ErrorData>>;
