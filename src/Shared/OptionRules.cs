using System.CommandLine;
using System.Net;

namespace Kargo.Shared;

/// <summary>Checks of option values at parse time: a value of the wrong shape is a usage error (exit 2), before anything runs.</summary>
internal static class OptionRules
{
    /// <summary>IP:PORT, such as 127.0.0.1:5000 or [::1]:5000; port 0 (any free port) only where <paramref name="anyPort"/>.</summary>
    public static Option<string> Endpoint(this Option<string> option, bool anyPort = false)
    {
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            // IPEndPoint also takes a bare address (port 0): a port must be written.
            var hasPort = text is not null && text.LastIndexOf(':') > text.LastIndexOf(']') && (text.StartsWith('[') || text.Count(c => c == ':') == 1);
            if (text is not null && (!hasPort || !IPEndPoint.TryParse(text, out var endpoint) || endpoint.Port == 0 && !anyPort))
            {
                result.AddError($"{option.Name} '{text}' is not IP:PORT, such as 127.0.0.1:5000 or 0.0.0.0:5000");
            }
        });
        return option;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int> Between(this Option<int> option, int min, int max)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < min || value > max)
            {
                result.AddError($"{option.Name} {value} is out of range: give {min} to {max}");
            }
        });
        return option;
    }

    /// <summary>A value the given parser accepts; its KargoException's message is the usage error.</summary>
    public static Option<string?> Parsed(this Option<string?> option, Action<string> parse)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text)
            {
                try
                {
                    parse(text);
                }
                catch (Kargo.Airgap.KargoException e)
                {
                    result.AddError(e.Message);
                }
            }
        });
        return option;
    }
}
