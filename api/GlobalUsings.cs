global using Dapper;
global using DnsSync.Api.Infrastructure;
global using Microsoft.AspNetCore.Http.HttpResults;
global using MySqlConnector;
