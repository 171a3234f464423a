using DnsSync.CloudflareEmulator.Hosting;

try
{
    var app = EmulatorApp.Build(args, options: null, embedded: false);
    var state = app.Services.GetRequiredService<EmulatorState>();
    var options = app.Services.GetRequiredService<DnsSync.CloudflareEmulator.EmulatorOptions>();
    app.Lifetime.ApplicationStarted.Register(() =>
    {
        foreach (var seed in options.Zones)
        {
            var zone = state.FindZone(EmulatorState.ZoneIdFor(EmulatorState.NormaliseZoneName(seed.Name)));
            Console.WriteLine($"zone {zone?.Name} id {zone?.Id}");
        }
    });
    await app.RunAsync();
    return 0;
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"cloudflare-emulator: {ex.Message}");
    return 2;
}
