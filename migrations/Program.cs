using DnsSync.Migrations;

const string Usage = """
    usage: dns-sync-migrations <command> [--connection <string>] [--verbose]
      up              apply every pending migration (a no-op when current)
      down --to <N>   roll back every migration newer than version N (0 = all)
      list            show each migration and whether it is applied
    The connection string comes from --connection or ConnectionStrings__Default.
    """;

var command = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
var connection = Option("--connection") ?? Environment.GetEnvironmentVariable("ConnectionStrings__Default");
var verbose = args.Contains("--verbose");

if (command is null || args.Contains("--help") || args.Contains("-h"))
{
    Console.Error.WriteLine(Usage);
    return command is null ? 1 : 0;
}
if (string.IsNullOrWhiteSpace(connection))
{
    Console.Error.WriteLine("error: no connection string: pass --connection or set ConnectionStrings__Default.");
    return 1;
}

var migrator = new Migrator(connection, verbose);
try
{
    switch (command)
    {
        case "up":
            await migrator.UpAsync();
            Console.WriteLine($"schema is at version {Migrator.LatestVersion}");
            return 0;
        case "down":
            if (!long.TryParse(Option("--to"), out var target) || target < 0)
            {
                Console.Error.WriteLine("error: down needs --to <version> (a migration version, or 0 for all).");
                return 1;
            }
            await migrator.DownAsync(target);
            Console.WriteLine($"rolled back to version {target}");
            return 0;
        case "list":
            foreach (var m in await migrator.ListAsync())
                Console.WriteLine($"{m.Version}  {(m.Applied ? "applied" : "pending"),-7}  {m.Description}");
            return 0;
        default:
            Console.Error.WriteLine($"error: unknown command '{command}'.\n{Usage}");
            return 1;
    }
}
catch (MigrationException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"error: migration '{command}' failed: {ex.GetBaseException().Message}");
    return 1;
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
