using System.CommandLine;
using System.Globalization;

namespace Kargo.Offline;

/// <summary>A duration option written as 90s, 15m or 1h.</summary>
internal static class TimeoutOption
{
    public static Option<Duration> Create(string description, string defaultValue) => new("--timeout")
    {
        HelpName = "DURATION",
        DefaultValueFactory = _ => new Duration(Parse(defaultValue)!.Value, defaultValue),
        Description = $"{description}: 90s, 15m, 1h",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : defaultValue;
            if (Parse(text) is { } value)
            {
                return new Duration(value, text);
            }
            result.AddError($"--timeout '{text}' is not a duration: write it as 90s, 15m or 1h");
            return new Duration(TimeSpan.Zero, text);
        },
    };

    /// <summary>A duration as the user wrote it: help shows [default: 15m], not 00:15:00.</summary>
    public sealed record Duration(TimeSpan Value, string Text)
    {
        public override string ToString() => Text;
    }

    private static TimeSpan? Parse(string text)
    {
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            return null;
        }
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(number),
            'm' => TimeSpan.FromMinutes(number),
            'h' => TimeSpan.FromHours(number),
            _ => null,
        };
    }
}
