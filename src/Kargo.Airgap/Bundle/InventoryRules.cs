using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// Every field of an inventory is read from a bundle, so it is hostile until checked — signed
/// included: a trusted key can sign a mistake. Each field that becomes a path, a file name, a URL
/// part or a terminal line must have the shape the builder gives it (the spec's rules for names
/// and versions, the entry path rules for paths, the reference grammar for images). Checked when
/// an inventory is read and before one is written.
/// </summary>
public static class InventoryRules
{
    /// <summary>The first field that breaks its rule, or null.</summary>
    public static string? Problem(Inventory inventory)
    {
        if (!Names.BundleName().IsMatch(inventory.Name))
        {
            return $"name '{Shown(inventory.Name)}' is not a bundle name (lowercase letters, digits and '-')";
        }
        if (!Names.BundleVersion().IsMatch(inventory.Version))
        {
            return $"version '{Shown(inventory.Version)}' is not a bundle version (letters, digits and . _ + -)";
        }
        if (inventory.Signer is { } signer && (!signer.StartsWith("sha256:", StringComparison.Ordinal) || !Names.Sha256().IsMatch(signer[7..])))
        {
            return $"signer '{Shown(signer)}' is not a key fingerprint (sha256: and 64 hex digits)";
        }
        if (inventory.Platforms.FirstOrDefault(p => !IsPlatform(p)) is { } platform)
        {
            return $"platform '{Shown(platform)}' is not os/arch[/variant]";
        }
        foreach (var component in inventory.Components ?? [])
        {
            if (!Names.Word().IsMatch(component.Name) || !(Names.ReleaseVersion().IsMatch(component.Version) || Names.SnapChannel().IsMatch(component.Version))
                || component.FeatureGates?.Any(g => !Names.Word().IsMatch(g)) == true)
            {
                return $"component '{Shown(component.Name)} {Shown(component.Version)}' has a name, version or feature gate of no valid shape";
            }
        }
        foreach (var source in new[] { inventory.Source.Spec, inventory.Source.Lock })
        {
            if (!BundleLayout.IsIn(source, BundleLayout.SpecFolder) || EntryPaths.Problem([new InventoryEntry(source, 0, new string('0', 64))]) is not null)
            {
                return $"source '{Shown(source)}' is not an entry under spec/";
            }
        }
        foreach (var image in inventory.Images)
        {
            if (ImageProblem(image) is { } problem)
            {
                return $"image '{Shown(image.Reference)}': {problem}";
            }
        }
        foreach (var (entry, ns) in inventory.ManifestNamespaces ?? new Dictionary<string, string>())
        {
            if (!BundleLayout.IsIn(entry, BundleLayout.ManifestsFolder) || !Names.FileName().IsMatch(BundleLayout.NameIn(entry, BundleLayout.ManifestsFolder)) || !Names.Namespace().IsMatch(ns))
            {
                return $"manifest namespace '{Shown(entry)}: {Shown(ns)}' is not a manifest entry and a namespace name";
            }
        }
        foreach (var chart in inventory.Charts ?? [])
        {
            if (ChartProblem(chart, inventory) is { } problem)
            {
                return $"chart '{Shown(chart.Name)} {Shown(chart.Version)}': {problem}";
            }
        }
        if (inventory.Base is { } diffBase && (!Names.BundleName().IsMatch(diffBase.Name) || !Names.BundleVersion().IsMatch(diffBase.Version) || !Names.Sha256().IsMatch(diffBase.InventorySha256)))
        {
            return $"base '{Shown(diffBase.Name)} {Shown(diffBase.Version)}' has a name, version or sha256 of no valid shape";
        }
        return EntryPaths.Problem(inventory.Entries) ?? (inventory.Base is { } b ? EntryPaths.Problem(b.Entries) : null);
    }

    private static string? ImageProblem(InventoryImage image)
    {
        try
        {
            ImageReference.Parse(image.Reference);
        }
        catch (KargoException)
        {
            return "not an image reference";
        }
        if (!MediaTypes.IsWellFormed(image.MediaType))
        {
            return $"media type '{Shown(image.MediaType)}' is not type/subtype";
        }
        if (image.Platforms.Any(p => !IsPlatform(p)) || image.Size < 0)
        {
            return "a platform or size of no valid shape";
        }
        if (image.Component is { } component && !Names.FileName().IsMatch(component) || image.FoundBy is { } rule && !Names.Word().IsMatch(rule))
        {
            return "a component or rule of no valid shape";
        }
        return null;
    }

    /// <summary>Every field becomes a file name, a namespace, a release name or a path: each must have the spec's shape, and its entries must be in the bundle (or its base).</summary>
    private static string? ChartProblem(InventoryChart chart, Inventory inventory)
    {
        if (!Names.ChartName().IsMatch(chart.Name) || !Names.ChartVersion().IsMatch(chart.Version) || !Names.ReleaseName().IsMatch(chart.ReleaseName) || !Names.Namespace().IsMatch(chart.Namespace) || !Names.Word().IsMatch(chart.FoundBy))
        {
            return "a name, version, release, namespace or rule of no valid shape";
        }
        var archive = $"{chart.Name}-{chart.Version}.tgz";
        if (chart.Archive != BundleLayout.Chart(archive) || chart.Values is { } values && values != BundleLayout.ChartValues(archive))
        {
            return $"its archive or values entry is not {BundleLayout.Chart(archive)} (and {BundleLayout.ChartValues(archive)})";
        }
        var entries = inventory.Entries.Concat(inventory.Base?.Entries ?? []).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        if (!entries.Contains(chart.Archive) || chart.Values is { } v && !entries.Contains(v))
        {
            return "its archive or values is not among the bundle's entries";
        }
        foreach (var image in chart.Images)
        {
            try
            {
                ImageReference.Parse(image);
            }
            catch (KargoException)
            {
                return $"image '{Shown(image)}' is not an image reference";
            }
        }
        return null;
    }

    private static bool IsPlatform(string text)
    {
        try
        {
            Platform.Parse(text);
            return true;
        }
        catch (KargoException)
        {
            return false;
        }
    }

    /// <summary>At most 80 characters, control characters as '?': a rejected field is still hostile.</summary>
    private static string Shown(string text) => Terminal.Printable(text.Length > 80 ? text[..80] + "…" : text);
}
