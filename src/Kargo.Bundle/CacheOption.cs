using System.CommandLine;

namespace Kargo.Bundle;

internal static class CacheOption
{
    public static string DefaultPath()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "kargo");
    }

    public static Option<string> Create() => new("--cache")
    {
        HelpName = "DIR",
        Description = "The blob cache, an OCI image layout reused by every build ($XDG_CACHE_HOME/kargo, else ~/.cache/kargo)",
        DefaultValueFactory = _ => DefaultPath(),
    };
}
