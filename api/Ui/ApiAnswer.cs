namespace DnsSync.Api.Ui;

/// <summary>
/// What an api handler answered, for a page: the data, or the envelope's message and field errors. The status page
/// calls the api's own handlers, so it validates, refuses and words its refusals exactly as the api does.
/// </summary>
public sealed record ApiAnswer<T>(T? Data, string? Error, IReadOnlyList<FieldError> FieldErrors, int Status)
{
    public bool Ok => Error is null;

    internal static ApiAnswer<T> Of(IResult result) => result switch
    {
        Ok<Envelope<T>> ok => new(ok.Value!.Data, null, [], StatusCodes.Status200OK),
        IValueHttpResult<Envelope<ErrorData>> { Value: { } error } and IStatusCodeHttpResult status =>
            new(default, error.Message, error.Data?.Errors ?? [], status.StatusCode ?? StatusCodes.Status500InternalServerError),
        _ => throw new InvalidOperationException($"unexpected api result {result.GetType().Name}"),
    };

    /// <summary>The message for one field, shown next to it.</summary>
    public string? ErrorFor(string field) => FieldErrors.FirstOrDefault(e => e.Field == field)?.Message;
}

internal static class ApiAnswer
{
    public static ApiAnswer<T> From<T>(INestedHttpResult result) => ApiAnswer<T>.Of(result.Result);
}
