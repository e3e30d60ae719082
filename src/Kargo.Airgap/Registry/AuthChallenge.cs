using System.Net.Http.Headers;

namespace Kargo.Airgap.Registry;

/// <summary>A <c>WWW-Authenticate</c> challenge: its scheme and parameters (realm, service, scope).</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    public static AuthChallenge? From(HttpResponseHeaders headers)
    {
        foreach (var header in headers.WwwAuthenticate)
        {
            return new AuthChallenge(header.Scheme, ParseParameters(header.Parameter ?? ""));
        }
        return null;
    }

    /// <summary>Parses <c>key="value", key=value</c> lists; quoted values may hold commas.</summary>
    public static IReadOnlyDictionary<string, string> ParseParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }
            var equals = text.IndexOf('=', i);
            if (equals < 0)
            {
                break;
            }
            var key = text[i..equals].Trim();
            i = equals + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var end = i + 1;
                var builder = new System.Text.StringBuilder();
                while (end < text.Length && text[end] != '"')
                {
                    if (text[end] == '\\' && end + 1 < text.Length)
                    {
                        end++;
                    }
                    builder.Append(text[end]);
                    end++;
                }
                value = builder.ToString();
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf(',', i);
                end = end < 0 ? text.Length : end;
                value = text[i..end].Trim();
                i = end;
            }
            result[key] = value;
        }
        return result;
    }
}
