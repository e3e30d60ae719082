using System.Text;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Registry;

/// <summary>
/// Machine-config documents that point a Talos node's pulls at the local registry, to apply with
/// <c>talosctl patch mc --patch @FILE</c>. From Talos 1.12 the registry settings are documents of
/// their own (<c>RegistryMirrorConfig</c>, <c>RegistryTLSConfig</c>, <c>RegistryAuthConfig</c>,
/// apiVersion v1alpha1, as siderolabs/talos pkg/machinery/config/types/cri defines them); before,
/// a patch of <c>machine.registries.mirrors</c> and <c>machine.registries.config</c>, whose TLS
/// <c>ca</c> is base64 of the PEM (types/v1alpha1 RegistryTLSConfig, Base64Bytes).
/// </summary>
public static class TalosMirrorConfig
{
    public const string FileName = "talos-registry-mirrors.yaml";

    /// <summary>The first release that reads the registry documents.</summary>
    public static readonly Version DocumentsSince = new(1, 12);

    public static string Text(IEnumerable<string> hosts, Uri endpoint, string? caPem, Credential? credential, bool skipVerify, Version? talos)
    {
        var local = MirrorConfig.Exact(endpoint);
        var authority = new Uri(local).Authority;
        // TLS settings make sense only for an https endpoint.
        var (ca, skip) = endpoint.Scheme == "https" ? (caPem, skipVerify) : (null, false);
        var header = $"# Written by kargo-offline: every registry of the bundle is served by {local}.\n# Apply with: talosctl patch mc --patch @{FileName}\n";
        return header + YamlText.Write(talos is null || talos >= DocumentsSince
            ? Documents(hosts, local, authority, ca, skip, credential)
            : [LegacyPatch(hosts, local, authority, ca, skip, credential)]);
    }

    private static IEnumerable<object> Documents(IEnumerable<string> hosts, string local, string authority, string? caPem, bool skipVerify, Credential? credential)
    {
        foreach (var host in hosts)
        {
            yield return YamlText.Map(("apiVersion", "v1alpha1"), ("kind", "RegistryMirrorConfig"), ("name", host), ("endpoints", new[] { YamlText.Map(("url", local)) }));
        }
        if (caPem is not null || skipVerify)
        {
            yield return Settings([("apiVersion", "v1alpha1"), ("kind", "RegistryTLSConfig"), ("name", authority)], caPem, skipVerify);
        }
        if (credential is not null)
        {
            yield return YamlText.Map([("apiVersion", "v1alpha1"), ("kind", "RegistryAuthConfig"), ("name", authority), .. Auth(credential)]);
        }
    }

    private static Dictionary<string, object> LegacyPatch(IEnumerable<string> hosts, string local, string authority, string? caPem, bool skipVerify, Credential? credential)
    {
        var registries = YamlText.Map(("mirrors", hosts.ToDictionary(h => h, _ => (object)YamlText.Map(("endpoints", new[] { local })), StringComparer.Ordinal)));
        var config = new Dictionary<string, object>();
        if (caPem is not null || skipVerify)
        {
            // Before 1.12 the CA is base64 of the PEM.
            config["tls"] = Settings([], caPem is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem)), skipVerify);
        }
        if (credential is not null)
        {
            config["auth"] = YamlText.Map(Auth(credential));
        }
        if (config.Count > 0)
        {
            registries["config"] = YamlText.Map((authority, config));
        }
        return YamlText.Map(("machine", YamlText.Map(("registries", registries))));
    }

    /// <summary>The credential as written, refused if it holds a control character (a pasted newline), as for k3s.</summary>
    private static (string, object)[] Auth(Credential credential) =>
        [("username", MirrorConfig.Checked(credential.Username, "the username")), ("password", MirrorConfig.Checked(credential.Secret, "the password"))];

    private static Dictionary<string, object> Settings((string, object)[] first, string? ca, bool skipVerify)
    {
        var settings = YamlText.Map(first);
        if (ca is not null)
        {
            settings["ca"] = ca;
        }
        if (skipVerify)
        {
            settings["insecureSkipVerify"] = true;
        }
        return settings;
    }
}
